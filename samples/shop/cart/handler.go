package cart

import (
	"errors"
	"net/http"

	"example.com/shop/platform/httpx"
)

// Handler serves the cart API.
type Handler struct {
	Svc *Service
}

// RegisterRoutes adds the cart routes to mux.
func (h *Handler) RegisterRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /cart/{user}", h.Get)
	mux.HandleFunc("POST /cart/{user}/items", h.Add)
	mux.HandleFunc("PUT /cart/{user}/items/{sku}", h.SetQuantity)
	mux.HandleFunc("DELETE /cart/{user}/items/{sku}", h.Remove)
	mux.HandleFunc("DELETE /cart/{user}", h.Clear)
}

// Get returns the cart.
func (h *Handler) Get(w http.ResponseWriter, r *http.Request) {
	c, err := h.Svc.Get(r.Context(), r.PathValue("user"))
	if err != nil {
		httpx.WriteError(w, r, apiError(err))
		return
	}
	httpx.JSON(w, http.StatusOK, c)
}

// Add puts an item in the cart: {"sku": "mug", "quantity": 2}.
func (h *Handler) Add(w http.ResponseWriter, r *http.Request) {
	var in struct {
		SKU      string `json:"sku"`
		Quantity int    `json:"quantity"`
	}
	if err := httpx.Decode(w, r, &in); err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	c, err := h.Svc.Add(r.Context(), r.PathValue("user"), in.SKU, in.Quantity)
	if err != nil {
		httpx.WriteError(w, r, apiError(err))
		return
	}
	httpx.JSON(w, http.StatusOK, c)
}

// SetQuantity sets an item's quantity: {"quantity": 3}.
func (h *Handler) SetQuantity(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Quantity int `json:"quantity"`
	}
	if err := httpx.Decode(w, r, &in); err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	c, err := h.Svc.SetQuantity(r.Context(), r.PathValue("user"), r.PathValue("sku"), in.Quantity)
	if err != nil {
		httpx.WriteError(w, r, apiError(err))
		return
	}
	httpx.JSON(w, http.StatusOK, c)
}

// Remove takes an item out of the cart.
func (h *Handler) Remove(w http.ResponseWriter, r *http.Request) {
	c, err := h.Svc.Remove(r.Context(), r.PathValue("user"), r.PathValue("sku"))
	if err != nil {
		httpx.WriteError(w, r, apiError(err))
		return
	}
	httpx.JSON(w, http.StatusOK, c)
}

// Clear empties the cart.
func (h *Handler) Clear(w http.ResponseWriter, r *http.Request) {
	if err := h.Svc.Clear(r.Context(), r.PathValue("user")); err != nil {
		httpx.WriteError(w, r, apiError(err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func apiError(err error) error {
	switch {
	case errors.Is(err, ErrNotFound):
		return httpx.NotFound("%v", err)
	case errors.Is(err, ErrInvalid):
		return httpx.BadRequest("%v", err)
	}
	return err
}

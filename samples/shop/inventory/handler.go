package inventory

import (
	"errors"
	"net/http"

	"example.com/shop/platform/httpx"
)

// Handler serves the stock admin API.
type Handler struct {
	Svc *Service
}

// RegisterRoutes adds the inventory routes to mux.
func (h *Handler) RegisterRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /inventory", h.List)
	mux.HandleFunc("GET /inventory/{sku}", h.Get)
	mux.HandleFunc("PUT /inventory/{sku}", h.Set)
	mux.HandleFunc("POST /inventory/{sku}/adjust", h.Adjust)
}

// Get returns one SKU's stock.
func (h *Handler) Get(w http.ResponseWriter, r *http.Request) {
	l, err := h.Svc.Get(r.Context(), r.PathValue("sku"))
	if err != nil {
		httpx.WriteError(w, r, apiError(err))
		return
	}
	httpx.JSON(w, http.StatusOK, l)
}

// List returns the SKUs below ?below=N units (default 10).
func (h *Handler) List(w http.ResponseWriter, r *http.Request) {
	below, err := httpx.QueryInt(r, "below", 10)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	levels, err := h.Svc.Below(r.Context(), below)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	if levels == nil {
		levels = []Level{}
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"levels": levels})
}

// Set overwrites a SKU's stock: {"on_hand": 12}.
func (h *Handler) Set(w http.ResponseWriter, r *http.Request) {
	var in struct {
		OnHand int `json:"on_hand"`
	}
	if err := httpx.Decode(w, r, &in); err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	l, err := h.Svc.Set(r.Context(), r.PathValue("sku"), in.OnHand)
	if err != nil {
		httpx.WriteError(w, r, httpx.BadRequest("%v", err))
		return
	}
	httpx.JSON(w, http.StatusOK, l)
}

// Adjust adds to or takes from a SKU's stock: {"delta": -2}.
func (h *Handler) Adjust(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Delta int `json:"delta"`
	}
	if err := httpx.Decode(w, r, &in); err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	l, err := h.Svc.Adjust(r.Context(), r.PathValue("sku"), in.Delta)
	if err != nil {
		httpx.WriteError(w, r, apiError(err))
		return
	}
	httpx.JSON(w, http.StatusOK, l)
}

func apiError(err error) error {
	switch {
	case errors.Is(err, ErrNotFound):
		return httpx.NotFound("%v", err)
	case errors.Is(err, ErrInsufficientStock):
		return httpx.Conflict("%v", err)
	}
	return err
}

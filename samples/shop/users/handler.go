package users

import (
	"errors"
	"net/http"

	"example.com/shop/models"
	"example.com/shop/platform/httpx"
)

// Handler serves the accounts API.
type Handler struct {
	Svc *Service
}

// RegisterRoutes adds the users routes to mux. GET /users/{id}/orders is the orders
// handler's and is registered by the router.
func (h *Handler) RegisterRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /users", h.Register)
	mux.HandleFunc("GET /users/{id}", h.Get)
	mux.HandleFunc("PATCH /users/{id}", h.Update)
}

// Register creates an account.
func (h *Handler) Register(w http.ResponseWriter, r *http.Request) {
	var reg Registration
	if err := httpx.Decode(w, r, &reg); err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	u, err := h.Svc.Register(r.Context(), reg)
	if err != nil {
		httpx.WriteError(w, r, apiError(err))
		return
	}
	w.Header().Set("Location", "/users/"+u.ID)
	httpx.JSON(w, http.StatusCreated, u)
}

// Get returns an account.
func (h *Handler) Get(w http.ResponseWriter, r *http.Request) {
	u, err := h.Svc.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		httpx.WriteError(w, r, apiError(err))
		return
	}
	httpx.JSON(w, http.StatusOK, u)
}

// Update changes the name and/or the address: {"name": "...", "address": {...}}.
func (h *Handler) Update(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name    string          `json:"name"`
		Address *models.Address `json:"address"`
	}
	if err := httpx.Decode(w, r, &in); err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	u, err := h.Svc.UpdateProfile(r.Context(), r.PathValue("id"), in.Name, in.Address)
	if err != nil {
		httpx.WriteError(w, r, apiError(err))
		return
	}
	httpx.JSON(w, http.StatusOK, u)
}

func apiError(err error) error {
	switch {
	case errors.Is(err, ErrNotFound):
		return httpx.NotFound("%v", err)
	case errors.Is(err, ErrEmailTaken):
		return httpx.Conflict("%v", err)
	case errors.Is(err, ErrInvalid):
		return httpx.BadRequest("%v", err)
	}
	return err
}

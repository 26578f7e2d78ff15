package orders

import "net/http"

// Handler serves orders over HTTP.
type Handler struct{ svc *Service }

// NewHandler returns a handler.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

// Get serves one order.
func (h *Handler) Get(w http.ResponseWriter, r *http.Request) {}

// Create places an order.
func (h *Handler) Create(w http.ResponseWriter, r *http.Request) {
	_ = h.svc.Place(r.Context(), Order{ID: r.PathValue("id")})
}

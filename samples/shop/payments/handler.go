package payments

import (
	"errors"
	"net/http"

	"example.com/shop/platform/httpx"
)

// Handler serves the payments API. Payments are taken by the orders flow, not by this API.
type Handler struct {
	Svc *Service
}

// RegisterRoutes adds the payments routes to mux.
func (h *Handler) RegisterRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /payments/{id}", h.Get)
	mux.HandleFunc("GET /payments", h.ByOrder)
	mux.HandleFunc("POST /payments/{id}/refund", h.Refund)
}

// Get returns a payment.
func (h *Handler) Get(w http.ResponseWriter, r *http.Request) {
	p, err := h.Svc.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		httpx.WriteError(w, r, apiError(err))
		return
	}
	httpx.JSON(w, http.StatusOK, p)
}

// ByOrder lists the payments of ?order_id=.
func (h *Handler) ByOrder(w http.ResponseWriter, r *http.Request) {
	orderID := r.URL.Query().Get("order_id")
	if orderID == "" {
		httpx.WriteError(w, r, httpx.BadRequest("order_id is required"))
		return
	}
	pays, err := h.Svc.ByOrder(r.Context(), orderID)
	if err != nil {
		httpx.WriteError(w, r, apiError(err))
		return
	}
	if pays == nil {
		pays = []Payment{}
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"payments": pays})
}

// Refund refunds a payment in full.
func (h *Handler) Refund(w http.ResponseWriter, r *http.Request) {
	p, err := h.Svc.Refund(r.Context(), r.PathValue("id"))
	if err != nil {
		httpx.WriteError(w, r, apiError(err))
		return
	}
	httpx.JSON(w, http.StatusOK, p)
}

func apiError(err error) error {
	switch {
	case errors.Is(err, ErrNotFound):
		return httpx.NotFound("%v", err)
	case errors.Is(err, ErrNotRefundable):
		return httpx.Conflict("%v", err)
	case errors.Is(err, ErrInvalid):
		return httpx.BadRequest("%v", err)
	case errors.Is(err, ErrDeclined):
		return httpx.Errorf(http.StatusPaymentRequired, "payment_declined", "%v", err)
	}
	return err
}

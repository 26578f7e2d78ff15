package shipping

import (
	"errors"
	"net/http"
	"strconv"

	"example.com/shop/models"
	"example.com/shop/platform/httpx"
)

// Handler serves the shipping API.
type Handler struct {
	Svc *Service
}

// RegisterRoutes adds the shipping routes to mux, including GET /orders/{id}/shipment, which
// lives under the orders' path but is answered from the shipments table.
func (h *Handler) RegisterRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /shipping/quote", h.Quote)
	mux.HandleFunc("GET /shipments/{id}", h.Get)
	mux.HandleFunc("POST /shipments/{id}/dispatch", h.Dispatch)
	mux.HandleFunc("GET /orders/{id}/shipment", h.ForOrder)
}

// Quote answers ?subtotal=4200&country=DE with the shipping cost.
func (h *Handler) Quote(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	subtotal, err := strconv.ParseInt(q.Get("subtotal"), 10, 64)
	if err != nil || subtotal < 0 {
		httpx.WriteError(w, r, httpx.BadRequest("subtotal=%q is not a number of cents", q.Get("subtotal")))
		return
	}
	country := q.Get("country")
	if len(country) != 2 {
		httpx.WriteError(w, r, httpx.BadRequest("country=%q is not a two-letter code", country))
		return
	}
	httpx.JSON(w, http.StatusOK, map[string]any{
		"zone":               Zone(country),
		"cost":               Quote(models.Cents(subtotal), country),
		"free_shipping_over": models.Cents(FreeShippingOver),
	})
}

// Get returns a shipment.
func (h *Handler) Get(w http.ResponseWriter, r *http.Request) {
	sh, err := h.Svc.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		httpx.WriteError(w, r, apiError(err))
		return
	}
	httpx.JSON(w, http.StatusOK, sh)
}

// ForOrder returns the shipment of an order.
func (h *Handler) ForOrder(w http.ResponseWriter, r *http.Request) {
	sh, err := h.Svc.Get(r.Context(), IDForOrder(r.PathValue("id")))
	if err != nil {
		httpx.WriteError(w, r, apiError(err))
		return
	}
	httpx.JSON(w, http.StatusOK, sh)
}

// Dispatch hands a shipment to the carrier.
func (h *Handler) Dispatch(w http.ResponseWriter, r *http.Request) {
	sh, err := h.Svc.Dispatch(r.Context(), r.PathValue("id"))
	if err != nil {
		httpx.WriteError(w, r, apiError(err))
		return
	}
	httpx.JSON(w, http.StatusOK, sh)
}

func apiError(err error) error {
	switch {
	case errors.Is(err, ErrNotFound):
		return httpx.NotFound("%v", err)
	case errors.Is(err, ErrWrongStatus), errors.Is(err, ErrExists):
		return httpx.Conflict("%v", err)
	}
	return err
}

// Package api serves the orders API of the extracted service, with the routes, bodies, status
// codes and error shapes of the monolith's orders/api, so the strangler proxy can send a
// request to either side:
//
//	POST /orders               place an order
//	GET  /orders/{id}          one order
//	POST /orders/{id}/cancel   cancel an order
//	GET  /users/{id}/orders    a user's orders, newest first
//	GET  /healthz              the orders table answers
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"

	"example.com/shop-orders/orders"
)

// MaxBodyBytes bounds a request body.
const MaxBodyBytes = 1 << 20

// Handler serves the orders API.
type Handler struct {
	Svc *orders.Service
	// Health checks the service's dependencies for GET /healthz.
	Health func(context.Context) error
	Log    *slog.Logger
}

// ServedBy is the X-Served-By header every answer carries, so a client behind the strangler
// proxy can tell which side answered.
const ServedBy = "shop-orders"

// Routes returns the handler of every route.
func (h *Handler) Routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /orders", h.Create)
	mux.HandleFunc("GET /orders/{id}", h.Get)
	mux.HandleFunc("POST /orders/{id}/cancel", h.Cancel)
	mux.HandleFunc("GET /users/{id}/orders", h.ListByUser)
	mux.HandleFunc("GET /healthz", h.Healthz)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Served-By", ServedBy)
		mux.ServeHTTP(w, r)
	})
}

// apiError is the monolith's error body: {"error": {"code", "message"}}.
type apiError struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *apiError) Error() string { return e.Message }

// Create places an order: the monolith's CreateRequest body.
func (h *Handler) Create(w http.ResponseWriter, r *http.Request) {
	var in orders.PlaceInput
	if err := decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	o, err := h.Svc.Place(r.Context(), in)
	if errors.Is(err, orders.ErrPaymentDeclined) {
		writeJSON(w, http.StatusPaymentRequired, map[string]any{
			"error": &apiError{Code: "payment_declined", Message: err.Error()}, "order": o,
		})
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/orders/"+o.ID)
	writeJSON(w, http.StatusCreated, o)
}

// Get returns one order.
func (h *Handler) Get(w http.ResponseWriter, r *http.Request) {
	o, err := h.Svc.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, o)
}

// ListByUser returns a user's orders: GET /users/{id}/orders?limit=20.
func (h *Handler) ListByUser(w http.ResponseWriter, r *http.Request) {
	limit := 20
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			h.fail(w, r, &apiError{Status: http.StatusBadRequest, Code: "bad_request", Message: fmt.Sprintf("limit=%q is not a number", v)})
			return
		}
		limit = n
	}
	list, err := h.Svc.ListByUser(r.Context(), r.PathValue("id"), limit)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if list == nil {
		list = []orders.Order{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"orders": list})
}

// Cancel cancels an order and puts its stock back; the body {"reason": "..."} is optional.
func (h *Handler) Cancel(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength != 0 {
		var req struct {
			Reason string `json:"reason"`
		}
		if err := decode(w, r, &req); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	o, err := h.Svc.Cancel(r.Context(), r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, o)
}

// Healthz answers 200 when the service's table answers.
func (h *Handler) Healthz(w http.ResponseWriter, r *http.Request) {
	if h.Health != nil {
		if err := h.Health(r.Context()); err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "error": err.Error()})
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// fail maps a domain error to the monolith's status codes and error codes.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
	case errors.Is(err, orders.ErrNotFound), errors.Is(err, orders.ErrUserNotFound):
		ae = &apiError{Status: http.StatusNotFound, Code: "not_found", Message: err.Error()}
	case errors.Is(err, orders.ErrInvalid):
		ae = &apiError{Status: http.StatusBadRequest, Code: "bad_request", Message: err.Error()}
	case errors.Is(err, orders.ErrOutOfStock):
		ae = &apiError{Status: http.StatusConflict, Code: "out_of_stock", Message: err.Error()}
	case errors.Is(err, orders.ErrInvalidTransition), errors.Is(err, orders.ErrConflict):
		ae = &apiError{Status: http.StatusConflict, Code: "conflict", Message: err.Error()}
	default:
		log := h.Log
		if log == nil {
			log = slog.Default()
		}
		log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		ae = &apiError{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error"}
	}
	writeJSON(w, ae.Status, map[string]*apiError{"error": ae})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// decode reads a JSON body strictly: unknown fields, trailing data and oversized bodies are 400.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &apiError{Status: http.StatusBadRequest, Code: "bad_request", Message: fmt.Sprintf("invalid JSON body: %v", err)}
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		return &apiError{Status: http.StatusBadRequest, Code: "bad_request", Message: "invalid JSON body: trailing data"}
	}
	return nil
}

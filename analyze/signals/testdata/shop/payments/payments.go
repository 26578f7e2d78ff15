// Package payments takes payments, stored in PostgreSQL through pgx, served with chi.
package payments

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"
)

// Handler serves payments.
type Handler struct{ conn *pgx.Conn }

// Get serves one payment.
func (h *Handler) Get(w http.ResponseWriter, r *http.Request) {
	_ = h.conn.QueryRow(r.Context(), "SELECT amount FROM payments WHERE id = $1", r.PathValue("id"))
}

// Create takes a payment.
func (h *Handler) Create(w http.ResponseWriter, r *http.Request) {
	_, _ = h.conn.Exec(r.Context(), "INSERT INTO payments (id, amount) VALUES ($1, $2)", 1, 2)
}

func audit(next http.Handler) http.Handler { return next }

// Routes registers the payment routes.
func Routes(r chi.Router, h *Handler) {
	r.Route("/payments", func(r chi.Router) {
		r.Get("/{id}", h.Get)
		r.With(audit).Post("/", h.Create)
	})
}

// Refunds lists refunds.
func (h *Handler) Refunds(w http.ResponseWriter, r *http.Request) {}

// Router is a sub-router, mounted by main.
func Router(h *Handler) http.Handler {
	r := chi.NewRouter()
	r.Get("/refunds", h.Refunds)
	r.MethodFunc("PATCH", "/refunds/{id}", h.Refunds)
	return r
}

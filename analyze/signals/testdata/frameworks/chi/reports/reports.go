// Package reports serves reports through a handler type that keeps its router to itself.
package reports

import (
	"net/http"

	"github.com/go-chi/chi/v5"
)

// Handler serves reports; it is mounted as an http.Handler.
type Handler struct {
	mux chi.Router
}

// New returns a Handler with its routes.
func New() *Handler {
	h := &Handler{mux: chi.NewRouter()}
	h.mux.Get("/daily", h.daily)
	return h
}

// ServeHTTP passes the request on to the handler's router.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

func (h *Handler) daily(http.ResponseWriter, *http.Request) {}

// Package booking serves the booking API.
package booking

import (
	"net/http"

	"github.com/go-chi/chi/v5"
)

// Handler serves cargos.
type Handler struct{}

// NewHandler returns a Handler.
func NewHandler() *Handler { return &Handler{} }

// Router returns the booking routes, relative to where they are mounted.
func (h *Handler) Router() chi.Router {
	r := chi.NewRouter()
	r.Route("/cargos", func(r chi.Router) {
		r.Post("/", h.bookCargo)
		r.Get("/", h.listCargos)
		r.Route("/{trackingID}", func(r chi.Router) {
			r.Get("/", h.loadCargo)
			r.With(logged).Post("/change_destination", h.changeDestination)
		})
	})
	r.Get("/locations", h.listLocations)
	return r
}

func logged(next http.Handler) http.Handler { return next }

func (h *Handler) bookCargo(http.ResponseWriter, *http.Request)         {}
func (h *Handler) listCargos(http.ResponseWriter, *http.Request)        {}
func (h *Handler) loadCargo(http.ResponseWriter, *http.Request)         {}
func (h *Handler) changeDestination(http.ResponseWriter, *http.Request) {}
func (h *Handler) listLocations(http.ResponseWriter, *http.Request)     {}

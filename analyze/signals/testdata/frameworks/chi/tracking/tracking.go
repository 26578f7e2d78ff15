// Package tracking serves cargo tracking.
package tracking

import (
	"net/http"

	"github.com/go-chi/chi/v5"
)

// Routes returns the tracking routes; they are registered through a helper that takes the
// router as a parameter.
func Routes() http.Handler {
	r := chi.NewRouter()
	register(r)
	return r
}

func register(r chi.Router) {
	r.Get("/cargos/{id}", track)
}

func track(http.ResponseWriter, *http.Request) {}

// Admin adds the tracking admin routes to the router chi's Route gives it.
func Admin(r chi.Router) {
	r.Delete("/cargos/{id}", track)
}

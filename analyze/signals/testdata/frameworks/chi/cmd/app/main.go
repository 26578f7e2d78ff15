// Command app wires the chi routers of the fixture: nested Route, Mount and Group, a sub-router
// built in another package, prefixes through a variable, a constant and a struct field, and one
// prefix that comes from outside the program.
package main

import (
	"net/http"
	"os"

	"github.com/go-chi/chi/v5"

	"example.com/chiapp/booking"
	"example.com/chiapp/platform"
	"example.com/chiapp/reports"
	"example.com/chiapp/tracking"
)

const apiVersion = "/v1"

func main() {
	r := chi.NewRouter()
	r.Route("/booking", func(r chi.Router) {
		h := booking.NewHandler()
		r.Mount(apiVersion, h.Router()) // a sub-router built in another package
	})
	r.Group(func(g chi.Router) {
		g.Get("/healthz", health)
	})
	r.Handle("GET /ready", http.HandlerFunc(health)) // a Go 1.22 method pattern
	trackingPrefix := "/tracking"
	r.Mount(trackingPrefix, tracking.Routes()) // a prefix through a local variable
	r.Route("/tracking-admin", tracking.Admin) // a function of another package given to Route

	api := &platform.Server{Router: chi.NewRouter()}
	api.Register()
	r.Mount("/platform", api.Router) // a sub-router held in a struct field

	r.Mount("/reports", reports.New()) // a handler type whose ServeHTTP is its router's

	admin := chi.NewRouter()
	admin.Get("/stats", health)
	r.Mount(os.Getenv("ADMIN_PREFIX"), admin) // a prefix known only at run time

	_ = http.ListenAndServe(":8080", r)
}

func health(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }

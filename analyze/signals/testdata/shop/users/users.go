// Package users serves users with gorilla/mux.
package users

import (
	"net/http"

	"github.com/gorilla/mux"
)

// Handler serves users.
type Handler struct{}

// Get serves one user.
func (h *Handler) Get(w http.ResponseWriter, r *http.Request) {}

// List lists users.
func (h *Handler) List(w http.ResponseWriter, r *http.Request) {}

// Register registers the user routes.
func Register(r *mux.Router, h *Handler) {
	r.HandleFunc("/users/{id}", h.Get).Methods("GET")
	admin := r.PathPrefix("/admin").Subrouter()
	admin.HandleFunc("/users", h.List).Methods("GET", "POST")
}

// Me serves the current user.
func (h *Handler) Me(w http.ResponseWriter, r *http.Request) {}

// RegisterMe uses the route-first form of gorilla/mux.
func RegisterMe(r *mux.Router, h *Handler) {
	r.Path("/me").Methods("GET").HandlerFunc(h.Me)
}

// Package notes serves the notes API.
package notes

import (
	"net/http"

	"github.com/go-pkgz/routegroup"
)

// Routes registers the notes routes on g.
func Routes(g *routegroup.Bundle) {
	g.HandleFunc("GET /notes", List)
	g.HandleFunc("POST /notes", Create)
	g.Route(func(b *routegroup.Bundle) {
		b.HandleFunc("DELETE /notes/{id}", Delete)
	})
	g.HandleRootFunc(http.MethodGet, List)
}

// List lists notes.
func List(w http.ResponseWriter, _ *http.Request) {}

// Create creates a note.
func Create(w http.ResponseWriter, _ *http.Request) {}

// Delete deletes a note.
func Delete(w http.ResponseWriter, _ *http.Request) {}

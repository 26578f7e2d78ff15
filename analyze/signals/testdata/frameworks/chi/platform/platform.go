// Package platform holds a server whose router is a struct field.
package platform

import (
	"net/http"

	"github.com/go-chi/chi/v5"
)

// Server holds the platform router.
type Server struct {
	Router chi.Router
}

// Register adds the platform routes to s.Router.
func (s *Server) Register() {
	s.Router.Method("PUT", "/flags/{name}", http.HandlerFunc(setFlag))
}

func setFlag(http.ResponseWriter, *http.Request) {}

// Package web is the shop's HTTP server: packages register their routes through it.
package web

import "net/http"

// Server wraps a ServeMux.
type Server struct{ mux *http.ServeMux }

// New returns a server.
func New() *Server { return &Server{mux: http.NewServeMux()} }

// Route registers h for a ServeMux pattern, behind the server's middleware.
func (s *Server) Route(pattern string, h http.HandlerFunc) { s.mux.HandleFunc(pattern, s.wrap(h)) }

// Get registers h for GET path: a wrapper of a wrapper.
func (s *Server) Get(path string, h http.HandlerFunc) { s.Route("GET "+path, h) }

func (s *Server) wrap(h http.HandlerFunc) http.HandlerFunc { return h }

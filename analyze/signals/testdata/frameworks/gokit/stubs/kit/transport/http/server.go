// Package http is a stub of go-kit's transport/http package: the signatures carve reads.
package http

import (
	"context"
	"net/http"

	"github.com/go-kit/kit/endpoint"
)

// DecodeRequestFunc extracts a request object from an HTTP request.
type DecodeRequestFunc func(context.Context, *http.Request) (request interface{}, err error)

// EncodeResponseFunc encodes a response object to the HTTP response writer.
type EncodeResponseFunc func(context.Context, http.ResponseWriter, interface{}) error

// ServerOption sets an optional parameter for servers.
type ServerOption func(*Server)

// Server wraps an endpoint and implements http.Handler.
type Server struct{ e endpoint.Endpoint }

// NewServer constructs a new server, which implements http.Handler and wraps the endpoint.
func NewServer(e endpoint.Endpoint, dec DecodeRequestFunc, enc EncodeResponseFunc, options ...ServerOption) *Server {
	return &Server{e: e}
}

// ServeHTTP implements http.Handler.
func (s Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {}

// Package otherrouter stands for a router library carve does not read.
package otherrouter

import "net/http"

// Router routes requests.
type Router struct{ http.ServeMux }

// New returns a Router.
func New() *Router { return &Router{} }

// GET registers a handler for GET requests to path.
func (r *Router) GET(path string, h http.HandlerFunc) {}

// Cache is not a router: its Get takes a key and a loader, which carve must not take for a
// route.
type Cache struct{}

// Get returns the value of key, loading it when missing.
func (Cache) Get(key string, load func() (string, error)) (string, error) { return load() }

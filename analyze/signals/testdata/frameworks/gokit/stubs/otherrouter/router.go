// Package otherrouter stands for a router library carve does not read.
package otherrouter

import "net/http"

// Router routes requests.
type Router struct{ http.ServeMux }

// New returns a Router.
func New() *Router { return &Router{} }

// GET registers a handler for GET requests to path.
func (r *Router) GET(path string, h http.HandlerFunc) {}

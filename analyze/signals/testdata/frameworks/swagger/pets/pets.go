// Package pets implements the petstore operations.
package pets

import (
	"net/http"

	"github.com/go-openapi/runtime/middleware"
)

// Find lists pets.
func Find(r *http.Request) middleware.Responder { return middleware.NotImplemented("find") }

// Deleter deletes pets.
type Deleter struct{}

// NewDeleter returns a Deleter.
func NewDeleter() *Deleter { return &Deleter{} }

// Handle deletes a pet.
func (*Deleter) Handle(r *http.Request) middleware.Responder {
	return middleware.NotImplemented("delete")
}

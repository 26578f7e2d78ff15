// Package users serves users.
package users

import (
	"net/http"

	"github.com/julienschmidt/httprouter"
)

// Get returns a user.
func Get(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {}

// Delete deletes a user.
func Delete(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {}

// Create creates a user.
func Create(w http.ResponseWriter, r *http.Request) {}

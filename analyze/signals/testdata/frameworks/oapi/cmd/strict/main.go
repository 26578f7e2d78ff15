// Command strict serves the petstore through the generated strict handler, with no base URL.
package main

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"example.com/petstore/api"
	"example.com/petstore/strict"
)

func main() {
	r := chi.NewRouter()
	api.HandlerFromMux(api.NewStrictHandler(strict.Pets{}, nil), r)
	_ = http.ListenAndServe(":8081", r)
}

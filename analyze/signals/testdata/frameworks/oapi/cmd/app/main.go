// Command app serves the petstore under a base URL held in a constant.
package main

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"example.com/petstore/api"
	"example.com/petstore/pets"
)

const baseURL = "/api/v3"

func main() {
	r := chi.NewRouter()
	api.HandlerFromMuxWithBaseURL(&pets.Store{}, r, baseURL)
	_ = http.ListenAndServe(":8080", r)
}

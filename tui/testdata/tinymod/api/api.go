// Package api serves items over HTTP.
package api

import (
	"encoding/json"
	"net/http"

	"example.com/tiny/store"
)

// Register adds the routes.
func Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /items/{id}", get)
	mux.HandleFunc("POST /items", put)
}

func get(w http.ResponseWriter, r *http.Request) {
	it, ok := store.Get(r.PathValue("id"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	json.NewEncoder(w).Encode(it)
}

func put(w http.ResponseWriter, r *http.Request) {
	var it store.Item
	if err := json.NewDecoder(r.Body).Decode(&it); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	store.Put(it)
}

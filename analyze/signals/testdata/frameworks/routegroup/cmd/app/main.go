// Command app serves notes with go-pkgz/routegroup: a mounted group passed to another package,
// a group under a root mount, and files.
package main

import (
	"net/http"

	"github.com/go-pkgz/routegroup"

	"example.com/rgapp/notes"
)

func main() {
	mux := http.NewServeMux()
	router := routegroup.New(mux)
	router.HandleFunc("GET /health", health)
	notes.Routes(router.Mount("/api/v1"))
	admin := routegroup.Mount(mux, "/admin")
	admin.Handle("GET /stats", http.HandlerFunc(health))
	router.HandleFiles("/static/", http.Dir("./public")) // files: listed in the coverage
	_ = http.ListenAndServe(":8080", router)
}

func health(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }

// Command app serves users with httprouter, mounted under /api/ with http.StripPrefix.
package main

import (
	"net/http"

	"github.com/julienschmidt/httprouter"

	"example.com/httprouterapp/users"
)

func main() {
	router := httprouter.New()
	router.GET("/users/:id", users.Get)
	router.Handle("DELETE", "/users/:id", users.Delete)
	router.HandlerFunc("POST", "/users", users.Create)
	router.ServeFiles("/files/*filepath", http.Dir("/srv/files")) // files: listed in the coverage
	mux := http.NewServeMux()
	mux.Handle("/api/", http.StripPrefix("/api", router))
	_ = http.ListenAndServe(":8080", mux)
}

// Command tiny serves the item API.
package main

import (
	"net/http"

	"example.com/tiny/api"
)

func main() {
	mux := http.NewServeMux()
	api.Register(mux)
	http.ListenAndServe("localhost:8080", mux)
}

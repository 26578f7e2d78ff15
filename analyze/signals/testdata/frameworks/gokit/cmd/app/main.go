// Command app serves the profile service's go-kit transports on a ServeMux.
package main

import (
	"net/http"

	httptransport "github.com/go-kit/kit/transport/http"

	"example.com/kitapp/profile"
)

func main() {
	mux := http.NewServeMux()
	mux.Handle("POST /profiles", httptransport.NewServer(profile.MakePostEndpoint(), profile.Decode, profile.Encode))
	mux.Handle("GET /profiles/{id}", profile.NewGetServer())
	_ = http.ListenAndServe(":8080", mux)
}

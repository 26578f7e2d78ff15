// Command app serves the profile service's go-kit transports on a ServeMux.
package main

import (
	"net/http"

	httptransport "github.com/go-kit/kit/transport/http"

	"example.com/kitapp/legacy"
	"example.com/kitapp/profile"
	"example.com/otherrouter"
)

func main() {
	mux := http.NewServeMux()
	mux.Handle("POST /profiles", httptransport.NewServer(profile.MakePostEndpoint(), profile.Decode, profile.Encode))
	mux.Handle("GET /profiles/{id}", profile.NewGetServer())
	// A router carve does not read: listed in the coverage as not read.
	other := otherrouter.New()
	other.GET("/legacy", func(http.ResponseWriter, *http.Request) {})
	mux.Handle("/legacy", other)
	_, _ = otherrouter.Cache{}.Get("key", func() (string, error) { return "", nil })
	mux.Handle("/old/", legacy.Routes())
	_ = http.ListenAndServe(":8080", mux)
}

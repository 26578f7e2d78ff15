// Package profile is a go-kit service: endpoints and their HTTP transport.
package profile

import (
	"context"
	"net/http"

	"github.com/go-kit/kit/endpoint"
	httptransport "github.com/go-kit/kit/transport/http"
)

// MakeGetEndpoint returns the endpoint that reads a profile.
func MakeGetEndpoint() endpoint.Endpoint {
	return func(ctx context.Context, request interface{}) (interface{}, error) { return nil, nil }
}

// MakePostEndpoint returns the endpoint that writes a profile.
func MakePostEndpoint() endpoint.Endpoint {
	return func(ctx context.Context, request interface{}) (interface{}, error) { return nil, nil }
}

// Decode decodes a request.
func Decode(context.Context, *http.Request) (interface{}, error) { return nil, nil }

// Encode encodes a response.
func Encode(context.Context, http.ResponseWriter, interface{}) error { return nil }

// NewGetServer is the transport of the get endpoint.
func NewGetServer() *httptransport.Server {
	return httptransport.NewServer(MakeGetEndpoint(), Decode, Encode)
}

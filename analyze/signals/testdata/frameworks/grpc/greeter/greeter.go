// Package greeter implements the Greeter service.
package greeter

import (
	"context"

	"example.com/grpcapp/greeterpb"
)

// Server implements greeterpb.GreeterServer.
type Server struct{}

// SayHello greets.
func (Server) SayHello(_ context.Context, in *greeterpb.HelloRequest) (*greeterpb.HelloReply, error) {
	return &greeterpb.HelloReply{Message: "hello " + in.Name}, nil
}

// Health answers health checks.
type Health struct{}

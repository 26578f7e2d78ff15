// Command server serves the Greeter gRPC service.
package main

import (
	"net"

	"google.golang.org/grpc"

	"example.com/grpcapp/greeter"
	"example.com/grpcapp/greeterpb"
)

func main() {
	s := grpc.NewServer()
	greeterpb.RegisterGreeterServer(s, &greeter.Server{})
	greeterpb.RegisterHealthServer(s, greeter.Health{})
	lis, _ := net.Listen("tcp", ":9090")
	_ = s.Serve(lis)
}

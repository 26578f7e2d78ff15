// Package endpoint is a stub of go-kit's endpoint package (the real module is not on the list
// of modules this project may download): the signatures carve reads, nothing more.
package endpoint

import "context"

// Endpoint is the fundamental building block of servers and clients.
type Endpoint func(ctx context.Context, request interface{}) (response interface{}, err error)

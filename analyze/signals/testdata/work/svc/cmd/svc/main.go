// Command svc runs the service.
package main

import "example.com/svc/api"

func main() { _ = api.Twice(2) }

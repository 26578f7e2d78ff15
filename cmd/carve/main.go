// Command carve takes a Go monolith to services one safe step at a time.
package main

import (
	"os"

	"github.com/carve-dev/carve/cmd"
)

func main() {
	os.Exit(cmd.Main(os.Args[1:], cmd.Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}))
}

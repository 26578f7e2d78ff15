// Command b is one program.
package main

import (
	"example.com/dispatch/b"
	"example.com/dispatch/iface"
)

func main() { println(iface.Call(b.B{})) }

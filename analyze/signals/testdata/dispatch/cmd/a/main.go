// Command a is one program.
package main

import (
	"example.com/dispatch/a"
	"example.com/dispatch/acaller"
	"example.com/dispatch/iface"
)

func main() {
	println(iface.Call(a.A{}), acaller.Use(a.A{}), acaller.Describe(a.A{}))
}

// Package iface declares a port both programs use.
package iface

// Greeter greets.
type Greeter interface{ Greet() string }

// Call greets through the port.
func Call(g Greeter) string { return g.Greet() }

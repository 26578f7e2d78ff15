// Package acaller is built only by program a.
package acaller

import "example.com/dispatch/iface"

// Use greets through the port: only program a's adapter can be behind it.
func Use(g iface.Greeter) string { return g.Greet() }

// Describe calls Error through error, the standard library's interface: no coupling.
func Describe(err error) string { return err.Error() }

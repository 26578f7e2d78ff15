// Package a is one program's adapter.
package a

// A greets, and is an error too.
type A struct{}

// Greet greets.
func (A) Greet() string { return "a" }

// Error makes A an error.
func (A) Error() string { return "a failed" }

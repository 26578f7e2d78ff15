// Package b is one program's adapter.
package b

// B greets, and is an error too.
type B struct{}

// Greet greets.
func (B) Greet() string { return "b" }

// Error makes B an error.
func (B) Error() string { return "b failed" }

// Package good has no errors.
package good

// Hello says hello.
func Hello() string { return "hello" }

// Counter is shared state.
var Counter int

// Greeter greets.
type Greeter interface {
	Greet() string
	Wave()
}

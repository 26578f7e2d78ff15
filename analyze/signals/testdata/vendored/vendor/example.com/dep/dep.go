// Package dep is a vendored dependency.
package dep

// Thing is a dependency's type.
type Thing struct{ N int }

// Do does a thing.
func Do() Thing { return Thing{N: 1} }

// Package a uses the vendored dependency and b.
package a

import (
	"example.com/dep"
	"example.com/vendored/b"
)

// Run runs.
func Run() int { return dep.Do().N + b.Two() }

// Package user uses the package with type errors.
package user

import (
	"example.com/broken/good"
	"example.com/broken/typeerr"
)

// Use calls both.
func Use() (int, string) { return typeerr.Y(), good.Hello() }

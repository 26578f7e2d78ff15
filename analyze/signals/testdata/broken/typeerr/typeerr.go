// Package typeerr parses but does not type-check.
package typeerr

import "example.com/broken/good"

// Y returns a string where an int is due.
func Y() int { return "not an int" }

// Z calls good and an undefined function.
func Z() string {
	good.Counter = 2
	undefined()
	return good.Hello()
}

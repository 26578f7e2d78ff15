// Package api is the service module's API; it uses the library module.
package api

import "example.com/lib/util"

// Fixed is a clock that implements util.Clock.
type Fixed struct{ T int64 }

// Now returns the fixed time.
func (f Fixed) Now() int64 { return f.T }

// Twice doubles through the library.
func Twice(n int) int { return util.Double(n) }

// Clock is the service's clock: the fixed one, used as a util.Clock.
var Clock util.Clock = Fixed{}

// Package syntax does not parse.
package syntax

import "example.com/broken/good"

func Broken( {
	good.Counter++
}

// Package util is a library module of the workspace.
package util

// Clock tells the time.
type Clock interface{ Now() int64 }

// Double doubles.
func Double(n int) int { return 2 * n }

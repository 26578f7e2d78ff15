// Package b is plain.
package b

// Two returns 2.
func Two() int { return 2 }

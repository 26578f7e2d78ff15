// Package load loads a Go module or go.work workspace with golang.org/x/tools/go/packages,
// type-checks its own packages once, and indexes its declared types and which programs build
// each package, for the signals to share. Input that cannot be analysed is an *InputError.
package load

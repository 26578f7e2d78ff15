package signals

import (
	"context"

	"github.com/carve-dev/carve/analyze/facts"
	"github.com/carve-dev/carve/analyze/load"
)

// Signal computes one kind of coupling over a loaded module and adds it to the facts. A signal's
// file declares everything about it — its name, its doc line and its default weight, with the
// reason for that weight — and lists it once in registry (signals.go), where its place fixes
// the order signals run and are summed in.
type Signal interface {
	// Name is the signal's name, as in --signals, carve.yaml and Dep.Signal.
	Name() string
	// Doc is a one-line description for --help and the docs.
	Doc() string
	// Weight is the signal's default weight in the package graph (graph.DefaultSignals): what one
	// damped unit of its coupling counts. 0 for a signal that finds no coupling (routes: entry
	// points).
	Weight() float64
	// Collect adds the signal's findings to f.
	Collect(ctx context.Context, m *load.Module, f *facts.Facts) error
}

// optIn is implemented by a signal that runs only when --signals (or carve.yaml) lists it.
type optIn interface {
	OptIn() bool
}

// IsOptIn reports whether s runs only when asked for.
func IsOptIn(s Signal) bool {
	o, ok := s.(optIn)
	return ok && o.OptIn()
}

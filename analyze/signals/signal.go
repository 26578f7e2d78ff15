package signals

import (
	"context"

	"github.com/carve-dev/carve/analyze/facts"
	"github.com/carve-dev/carve/analyze/load"
)

// Signal computes one kind of coupling over a loaded module and adds it to the facts. A signal's
// file declares everything about it — its name, its doc line and its default weight, with the
// reason for that weight — and adds itself to the registry from an init function
// (signals.go); nothing else lists it.
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

// undirected is implemented by a signal whose couplings say nothing of which package uses which
// (a table both touch, a commit both change in, a topic one publishes and the other reads). The
// other weighted signals are read as "From uses To" (IsUse).
type undirected interface {
	Undirected() bool
}

// IsUse reports whether s is a weighted signal whose couplings mean "From uses To".
func IsUse(s Signal) bool {
	u, ok := s.(undirected)
	return s.Weight() > 0 && !(ok && u.Undirected())
}

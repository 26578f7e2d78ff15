package signals

import (
	"context"

	"github.com/carve-dev/carve/analyze/facts"
	"github.com/carve-dev/carve/analyze/load"
)

// Signal computes one kind of coupling over a loaded module and adds it to the facts. Adding a
// signal is adding one file that implements this interface and registering it in Signals.
type Signal interface {
	// Name is the signal's name, one of the Signal* constants.
	Name() string
	// Doc is a one-line description for --help and the docs.
	Doc() string
	// Collect adds the signal's findings to f.
	Collect(ctx context.Context, m *load.Module, f *facts.Facts) error
}

package signals

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/carve-dev/carve/analyze/facts"
	"github.com/carve-dev/carve/analyze/load"
)

// Each signal declares its own name, doc and weight; the registry derives the rest from them.
func TestRegistry(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range Signals() {
		if s.Name() == "" || s.Doc() == "" || s.Weight() < 0 || seen[s.Name()] {
			t.Errorf("signal %T: name %q, doc %q, weight %g (a name must be unique, a doc set, a weight not negative)", s, s.Name(), s.Doc(), s.Weight())
		}
		seen[s.Name()] = true
	}
	// The documented defaults (docs/plan.md, carve analyze --help).
	want := map[string]float64{
		facts.SignalImports: 1, facts.SignalCalls: 0.25, facts.SignalTypes: 0.1, facts.SignalImplements: 0.5,
		facts.SignalState: 0.25, facts.SignalData: 0.5, facts.SignalMessaging: 0.2, facts.SignalCoChange: 0.25,
	}
	if got := DefaultWeights(); !maps.Equal(got, want) {
		t.Errorf("DefaultWeights() = %v, want %v", got, want)
	}
	w := DefaultWeights()
	w[facts.SignalCalls] = 9
	if DefaultWeights()[facts.SignalCalls] != 0.25 {
		t.Error("DefaultWeights returns a shared map")
	}
	names := Weighted()
	if len(names) != len(want) || !slices.IsSorted(names) {
		t.Errorf("Weighted() = %v: want the %d weighted signals, by name", names, len(want))
	}
	for _, s := range Signals() {
		use := s.Name() == facts.SignalImports || s.Name() == facts.SignalCalls || s.Name() == facts.SignalTypes ||
			s.Name() == facts.SignalImplements || s.Name() == facts.SignalState
		if IsUse(s) != use {
			t.Errorf("IsUse(%s) = %v, want %v (data, co-change and messaging are undirected, routes unweighted)", s.Name(), IsUse(s), use)
		}
	}
	all := Signals()
	all[0] = nil
	if Signals()[0] == nil {
		t.Error("Signals returns the registry itself")
	}
	for _, s := range StandardSignals() {
		if s.Name() == facts.SignalCoChange {
			t.Error("co-change (opt-in) runs by default")
		}
	}
}

// probe is a signal declared in a test file alone, as a new signal is declared in its own file.
type probe struct{ name string }

func (p probe) Name() string                                            { return p.name }
func (probe) Doc() string                                               { return "a test signal" }
func (probe) Weight() float64                                           { return 0.3 }
func (probe) Undirected() bool                                          { return true }
func (probe) Collect(context.Context, *load.Module, *facts.Facts) error { return nil }

// Registering a signal is all it takes for every list to know it, in name order; a second
// signal of a name is refused.
func TestRegisterAddsEverywhere(t *testing.T) {
	saved := slices.Clone(registry)
	t.Cleanup(func() { registry = saved })
	register(probe{name: "aaprobe"})
	register(probe{name: "mmprobe"})
	if got := Signals(); got[0].Name() != "aaprobe" || !slices.IsSortedFunc(got, func(a, b Signal) int { return strings.Compare(a.Name(), b.Name()) }) {
		t.Errorf("Signals() = %v: want the new signals in name order", got)
	}
	if DefaultWeights()["mmprobe"] != 0.3 || !slices.Contains(Weighted(), "mmprobe") || !slices.Contains(StandardSignals(), Signal(probe{name: "mmprobe"})) {
		t.Error("a registered signal is missing from DefaultWeights, Weighted or StandardSignals")
	}
	if s, err := LookupSignal("mmprobe"); err != nil || IsUse(s) {
		t.Errorf("LookupSignal(mmprobe) = %v, %v: want the undirected probe", s, err)
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), `both called "aaprobe"`) {
			t.Errorf("a second signal of one name: recovered %v, want a panic naming it", r)
		}
	}()
	register(probe{name: "aaprobe"})
}

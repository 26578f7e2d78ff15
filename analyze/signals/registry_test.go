package signals

import (
	"maps"
	"testing"

	"github.com/carve-dev/carve/analyze/facts"
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
	if len(names) != len(want) || names[0] != facts.SignalImports {
		t.Errorf("Weighted() = %v: want the %d weighted signals, imports first", names, len(want))
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

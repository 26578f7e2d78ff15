package analyze

import (
	"testing"

	"github.com/carve-dev/carve/analyze/facts"
	"github.com/carve-dev/carve/analyze/graph"
	"github.com/carve-dev/carve/analyze/signals"
)

// TestSettingsRecordOnlyUsedSignals: a plan's settings name the signals that ran with a positive
// weight: co-change (off unless asked for) is not recorded with its default weight, nor a
// signal turned off.
func TestSettingsRecordOnlyUsedSignals(t *testing.T) {
	f := shopFacts()
	for _, s := range signals.StandardSignals() {
		f.Signals = append(f.Signals, s.Name())
	}
	p := propose(t, f, Options{Signals: map[string]float64{facts.SignalTypes: 0}})
	if _, ok := p.Settings.Signals[facts.SignalCoChange]; ok {
		t.Errorf("settings record cochange, which did not run: %v", p.Settings.Signals)
	}
	if _, ok := p.Settings.Signals[facts.SignalTypes]; ok {
		t.Errorf("settings record types, turned off: %v", p.Settings.Signals)
	}
	if p.Settings.Signals[facts.SignalImports] != 1 || p.Settings.Signals[facts.SignalCalls] != graph.DefaultSignals()[facts.SignalCalls] {
		t.Errorf("settings %v: want the weights of imports and calls", p.Settings.Signals)
	}

	f.Signals = append(f.Signals, facts.SignalCoChange)
	p = propose(t, f, Options{})
	if p.Settings.Signals[facts.SignalCoChange] != graph.DefaultSignals()[facts.SignalCoChange] {
		t.Errorf("settings %v: cochange ran and is not recorded", p.Settings.Signals)
	}
}

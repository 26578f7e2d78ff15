package analyze

import "testing"

// TestSettingsRecordOnlyUsedSignals: a plan's settings name the signals that ran with a positive
// weight: co-change (off unless asked for) is not recorded with its default weight, nor a
// signal turned off.
func TestSettingsRecordOnlyUsedSignals(t *testing.T) {
	f := shopFacts()
	for _, s := range StandardSignals() {
		f.Signals = append(f.Signals, s.Name())
	}
	p := propose(t, f, Options{Signals: map[string]float64{SignalTypes: 0}})
	if _, ok := p.Settings.Signals[SignalCoChange]; ok {
		t.Errorf("settings record cochange, which did not run: %v", p.Settings.Signals)
	}
	if _, ok := p.Settings.Signals[SignalTypes]; ok {
		t.Errorf("settings record types, turned off: %v", p.Settings.Signals)
	}
	if p.Settings.Signals[SignalImports] != 1 || p.Settings.Signals[SignalCalls] != DefaultSignals()[SignalCalls] {
		t.Errorf("settings %v: want the weights of imports and calls", p.Settings.Signals)
	}

	f.Signals = append(f.Signals, SignalCoChange)
	p = propose(t, f, Options{})
	if p.Settings.Signals[SignalCoChange] != DefaultSignals()[SignalCoChange] {
		t.Errorf("settings %v: cochange ran and is not recorded", p.Settings.Signals)
	}
}

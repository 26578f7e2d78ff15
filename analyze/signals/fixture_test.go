package signals

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/carve-dev/carve/analyze/facts"
	"github.com/carve-dev/carve/analyze/load"
)

// fixtures caches loaded fixture modules: loading runs the go command, so each fixture is
// loaded once per test binary and shared by the tests that only read it.
var fixtures struct {
	sync.Mutex
	m map[string]*load.Module
}

func loadFixture(t testing.TB, name string) *load.Module {
	t.Helper()
	fixtures.Lock()
	defer fixtures.Unlock()
	if m, ok := fixtures.m[name]; ok {
		return m
	}
	m, err := load.Load(context.Background(), filepath.Join("testdata", name), load.LoadOptions{})
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	if fixtures.m == nil {
		fixtures.m = map[string]*load.Module{}
	}
	fixtures.m[name] = m
	return m
}

// collect runs one signal over a fixture.
func collect(t testing.TB, name string, s Signal) *facts.Facts {
	t.Helper()
	f, err := Collect(context.Background(), loadFixture(t, name), []Signal{s})
	if err != nil {
		t.Fatalf("collect %s on %s: %v", s.Name(), name, err)
	}
	return f
}

// dep returns the Dep of signal from → to with the given contract flag, or nil. Short paths
// are relative to the fixture's module path prefix.
func dep(f *facts.Facts, signal, from, to string, contract bool) *facts.Dep {
	for i, d := range f.Deps {
		if d.Signal == signal && d.From == from && d.To == to && d.Contract == contract {
			return &f.Deps[i]
		}
	}
	return nil
}

// depWant is an expected Dep; count 0 means the Dep must be absent.
type depWant struct {
	from, to string
	contract bool
	count    int
}

func checkDeps(t *testing.T, f *facts.Facts, signal, prefix string, wants []depWant) {
	t.Helper()
	for _, w := range wants {
		d := dep(f, signal, prefix+w.from, prefix+w.to, w.contract)
		switch {
		case w.count == 0 && d != nil:
			t.Errorf("%s %s → %s (contract %v): got count %d, want none", signal, w.from, w.to, w.contract, d.Count)
		case w.count != 0 && d == nil:
			t.Errorf("%s %s → %s (contract %v): missing", signal, w.from, w.to, w.contract)
		case w.count != 0 && d.Count != w.count:
			t.Errorf("%s %s → %s (contract %v): count %d, want %d", signal, w.from, w.to, w.contract, d.Count, w.count)
		}
	}
	for _, d := range f.Deps {
		if d.Signal != signal {
			t.Errorf("signal %s produced a %s dep", signal, d.Signal)
		}
		if d.From == d.To {
			t.Errorf("%s: self dep on %s", signal, d.From)
		}
		if len(d.Sites) == 0 && signal != facts.SignalCoChange {
			t.Errorf("%s %s → %s: no sites", signal, d.From, d.To)
		}
		if len(d.Sites) > facts.MaxSites {
			t.Errorf("%s %s → %s: %d sites, more than MaxSites", signal, d.From, d.To, len(d.Sites))
		}
	}
}

package signals

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/carve-dev/carve/analyze/facts"
	"github.com/carve-dev/carve/analyze/load"

	"golang.org/x/sync/errgroup"
)

// registry holds every signal carve knows. Each signal's file adds it from an init function
// (the pattern of database/sql drivers), declaring everything about it there — name, doc,
// default weight, whether it runs only when asked for or says nothing of direction — so adding
// a signal is adding its file and nothing else. The registry is written only while the package
// initialises and read-only after. It is kept sorted by name: the order signals run, are merged
// and their weights summed in, and so the weights bit for bit, never depend on file or init
// order.
var registry []Signal

// register adds s to the registry; a second signal of the same name is a programming error.
func register(s Signal) {
	i, found := slices.BinarySearchFunc(registry, s.Name(), func(r Signal, name string) int {
		return strings.Compare(r.Name(), name)
	})
	if found {
		panic(fmt.Sprintf("signals: %T and %T are both called %q", registry[i], s, s.Name()))
	}
	registry = slices.Insert(registry, i, s)
}

// Signals returns every signal carve knows, by name, as a fresh slice.
func Signals() []Signal { return slices.Clone(registry) }

// StandardSignals returns the signals run when none are chosen: all but those that run only
// when listed (git co-change, which depends on the history rather than the code).
func StandardSignals() []Signal {
	var out []Signal
	for _, s := range registry {
		if !IsOptIn(s) {
			out = append(out, s)
		}
	}
	return out
}

// DefaultWeights returns each weighted signal's default weight, a fresh map the caller may
// change. Signals of weight 0 (routes) are not in it.
func DefaultWeights() map[string]float64 {
	w := map[string]float64{}
	for _, s := range registry {
		if s.Weight() > 0 {
			w[s.Name()] = s.Weight()
		}
	}
	return w
}

// Weighted returns the names of the weighted signals, by name.
func Weighted() []string {
	var out []string
	for _, s := range registry {
		if s.Weight() > 0 {
			out = append(out, s.Name())
		}
	}
	return out
}

// LookupSignal returns the signal called name, or an *InputError listing the known names.
func LookupSignal(name string) (Signal, error) {
	var names []string
	for _, s := range Signals() {
		if s.Name() == name {
			return s, nil
		}
		names = append(names, s.Name())
	}
	return nil, &load.InputError{Problem: fmt.Sprintf("unknown signal %q", name), Hint: "known signals: " + strings.Join(names, ", ")}
}

// Collect runs the signals over m and returns the facts, sorted so that the same module gives
// the same facts on every run. Signals run concurrently, each into facts of its own, merged in
// the order given. A nil signals slice runs StandardSignals.
func Collect(ctx context.Context, m *load.Module, signals []Signal) (*facts.Facts, error) {
	if signals == nil {
		signals = StandardSignals()
	}
	f := &facts.Facts{
		Modules:  append([]string(nil), m.Paths...),
		Root:     m.Root,
		Packages: m.Infos(),
	}
	parts := make([]facts.Facts, len(signals))
	var (
		mu   sync.Mutex
		done int
	)
	m.Report(load.StageSignals, 0, len(signals))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, s := range signals {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			if err := s.Collect(gctx, m, &parts[i]); err != nil {
				return fmt.Errorf("signal %s: %w", s.Name(), err)
			}
			mu.Lock()
			done++
			m.Report(load.StageSignals+": "+s.Name(), done, len(signals))
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("collect signals in %s: %w", m.Root, ctx.Err())
		}
		return nil, fmt.Errorf("collect signals in %s: %w", m.Root, err)
	}
	for _, p := range parts {
		f.Deps = append(f.Deps, p.Deps...)
		f.Tables = append(f.Tables, p.Tables...)
		f.Routes = append(f.Routes, p.Routes...)
		f.Topics = append(f.Topics, p.Topics...)
		f.Buses = append(f.Buses, p.Buses...)
		f.Coverage.Merge(p.Coverage)
	}
	for _, s := range signals {
		f.Signals = append(f.Signals, s.Name())
	}
	m.Report(load.StageSignals, len(signals), len(signals))
	sortFacts(f)
	return f, nil
}

func sortFacts(f *facts.Facts) {
	f.Coverage.Sort()
	sort.SliceStable(f.Packages, func(i, j int) bool { return f.Packages[i].Path < f.Packages[j].Path })
	sort.SliceStable(f.Deps, func(i, j int) bool {
		a, b := f.Deps[i], f.Deps[j]
		if a.From != b.From {
			return a.From < b.From
		}
		if a.To != b.To {
			return a.To < b.To
		}
		if a.Signal != b.Signal {
			return a.Signal < b.Signal
		}
		return !a.Contract && b.Contract
	})
	sort.SliceStable(f.Tables, func(i, j int) bool {
		a, b := f.Tables[i], f.Tables[j]
		if a.Package != b.Package {
			return a.Package < b.Package
		}
		if a.Store != b.Store {
			return a.Store < b.Store
		}
		return a.Table < b.Table
	})
	sort.SliceStable(f.Topics, func(i, j int) bool { return topicLess(f.Topics[i], f.Topics[j]) })
	sort.Strings(f.Buses)
	sort.SliceStable(f.Routes, func(i, j int) bool {
		a, b := f.Routes[i], f.Routes[j]
		if a.Pattern != b.Pattern {
			return a.Pattern < b.Pattern
		}
		if a.Method != b.Method {
			return a.Method < b.Method
		}
		if a.Host != b.Host {
			return a.Host < b.Host
		}
		return a.Site.File < b.Site.File || a.Site.File == b.Site.File && a.Site.Line < b.Site.Line
	})
}

// depKey identifies one Dep of a signal.
type depKey struct {
	from, to string
	contract bool
}

type depAcc struct {
	weight float64
	writes int
	sites  []facts.Site
}

// depSet accumulates the couplings one signal finds, then emits them as sorted Deps: one Dep per
// (from, to, contract), so a pair coupled both through contracts and through implementation
// gets two Deps.
type depSet struct {
	signal string
	m      map[depKey]*depAcc
}

func newDepSet(signal string) *depSet { return &depSet{signal: signal, m: map[depKey]*depAcc{}} }

// add records a coupling of the given weight (1 for one call site, 1/n for a call resolved to n
// implementations) at site.
func (d *depSet) add(from, to string, contract bool, weight float64, site facts.Site) *depAcc {
	k := depKey{from, to, contract}
	a := d.m[k]
	if a == nil {
		a = &depAcc{}
		d.m[k] = a
	}
	a.weight += weight
	if site.File != "" && len(a.sites) < facts.MaxSites && !hasSite(a.sites, site) {
		a.sites = append(a.sites, site)
	}
	return a
}

func hasSite(sites []facts.Site, s facts.Site) bool {
	for _, x := range sites {
		if x == s {
			return true
		}
	}
	return false
}

// emit appends the accumulated Deps to f. Count is the accumulated weight rounded to the nearest
// integer, at least 1.
func (d *depSet) emit(f *facts.Facts) {
	keys := make([]depKey, 0, len(d.m))
	for k := range d.m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.from != b.from {
			return a.from < b.from
		}
		if a.to != b.to {
			return a.to < b.to
		}
		return !a.contract && b.contract
	})
	for _, k := range keys {
		a := d.m[k]
		n := int(math.Round(a.weight))
		if n < 1 {
			n = 1
		}
		sortSites(a.sites)
		f.Deps = append(f.Deps, facts.Dep{From: k.from, To: k.to, Signal: d.signal, Count: n, Contract: k.contract, Writes: a.writes, Sites: a.sites})
	}
}

func sortSites(s []facts.Site) {
	sort.Slice(s, func(i, j int) bool {
		if s[i].File != s[j].File {
			return s[i].File < s[j].File
		}
		return s[i].Line < s[j].Line
	})
}

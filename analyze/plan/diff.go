package plan

import (
	"maps"
	"slices"
)

// Diff is what changed from one plan to another: where packages moved, which services were
// renamed, appeared or disappeared, and how the scores moved.
type Diff struct {
	Moved   []Move         `json:"moved"`   // packages in another place, by path
	Renamed []Rename       `json:"renamed"` // services holding the same packages under another name
	Added   []string       `json:"added"`   // services only in the second plan (not renames)
	Removed []string       `json:"removed"` // services only in the first plan (not renames)
	Metrics []MetricChange `json:"metrics"` // scores that differ
	// OnlyA and OnlyB are packages only one of the plans has (the module changed between them).
	OnlyA []string `json:"only_a,omitempty"`
	OnlyB []string `json:"only_b,omitempty"`
}

// Move is one package in another place. A place is a service name, or "(kernel)", "(wiring)",
// "(tool)".
type Move struct {
	Path string `json:"path"`
	From string `json:"from"`
	To   string `json:"to"`
}

// Rename is a service whose packages are the same in both plans under another name.
type Rename struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// MetricChange is one score in both plans.
type MetricChange struct {
	Name string  `json:"name"`
	A    float64 `json:"a"`
	B    float64 `json:"b"`
}

// Empty reports whether the plans place every package alike and score alike.
func (d *Diff) Empty() bool {
	return len(d.Moved)+len(d.Renamed)+len(d.Added)+len(d.Removed)+len(d.Metrics)+len(d.OnlyA)+len(d.OnlyB) == 0
}

// Place names where a package sits: its service, or "(kernel)", "(wiring)", "(tool)".
func (p Package) Place() string {
	switch {
	case p.Kernel:
		return "(kernel)"
	case p.Service != "":
		return p.Service
	case p.Tool:
		return "(tool)"
	case p.Wiring:
		return "(wiring)"
	}
	return "(none)"
}

// Compare returns what changed from plan a to plan b.
func Compare(a, b *Plan) *Diff {
	d := &Diff{Moved: []Move{}, Renamed: []Rename{}, Added: []string{}, Removed: []string{}, Metrics: []MetricChange{}}
	placeA, placeB := places(a), places(b)
	// A service of b holding exactly the packages of a service of a is that service renamed.
	setsA, setsB := members(a), members(b)
	renamed := map[string]string{} // name in a → name in b
	for _, nb := range slices.Sorted(maps.Keys(setsB)) {
		if _, same := setsA[nb]; same {
			continue
		}
		for _, na := range slices.Sorted(maps.Keys(setsA)) {
			if _, kept := setsB[na]; !kept && slices.Equal(setsA[na], setsB[nb]) {
				renamed[na] = nb
				d.Renamed = append(d.Renamed, Rename{From: na, To: nb})
				break
			}
		}
	}
	for _, path := range slices.Sorted(maps.Keys(placeA)) {
		from := placeA[path]
		to, ok := placeB[path]
		if !ok {
			d.OnlyA = append(d.OnlyA, path)
			continue
		}
		if r, ok := renamed[from]; ok && r == to {
			continue
		}
		if from != to {
			d.Moved = append(d.Moved, Move{Path: path, From: from, To: to})
		}
	}
	for _, path := range slices.Sorted(maps.Keys(placeB)) {
		if _, ok := placeA[path]; !ok {
			d.OnlyB = append(d.OnlyB, path)
		}
	}
	renamedTo := map[string]bool{}
	for _, r := range d.Renamed {
		renamedTo[r.To] = true
	}
	for _, n := range slices.Sorted(maps.Keys(setsB)) {
		if _, ok := setsA[n]; !ok && !renamedTo[n] {
			d.Added = append(d.Added, n)
		}
	}
	for _, n := range slices.Sorted(maps.Keys(setsA)) {
		if _, ok := setsB[n]; !ok && renamed[n] == "" {
			d.Removed = append(d.Removed, n)
		}
	}
	for _, m := range []MetricChange{
		{"modularity", a.Metrics.Modularity, b.Metrics.Modularity},
		{"icp", a.Metrics.ICP, b.Metrics.ICP},
		{"ifn", a.Metrics.IFN, b.Metrics.IFN},
		{"services", float64(len(a.Services)), float64(len(b.Services))},
		{"kernel_packages", float64(len(a.Kernel)), float64(len(b.Kernel))},
		{"shared_tables", float64(len(a.SharedTables)), float64(len(b.SharedTables))},
		{"edges", float64(len(a.Edges)), float64(len(b.Edges))},
	} {
		if m.A != m.B {
			d.Metrics = append(d.Metrics, m)
		}
	}
	return d
}

func places(p *Plan) map[string]string {
	out := make(map[string]string, len(p.Packages))
	for _, pkg := range p.Packages {
		out[pkg.Path] = pkg.Place()
	}
	return out
}

// members maps each service to its sorted packages.
func members(p *Plan) map[string][]string {
	out := map[string][]string{}
	for _, s := range p.Services {
		out[s.Name] = slices.Sorted(slices.Values(s.Packages))
	}
	return out
}

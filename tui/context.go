package tui

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/carve-dev/carve/analyze/plan"
)

// shared is what every view reads: the session, the looks and the keys, and indexes over the
// plan rebuilt after each step. Views never edit the session; they return intents the root
// model carries out.
type shared struct {
	session *Session
	st      styles
	global  globalKeys
	edits   editKeys
	list    listKeys

	pkgs  map[string]*plan.Package // path → package, rebuilt after each step
	out   map[string][]int         // path → indices in Graph of its edges out (fixed)
	in    map[string][]int         // path → indices in Graph of its edges in (fixed)
	usedN map[string]int           // kernel path → packages using it
}

func newShared(s *Session, st styles) *shared {
	c := &shared{session: s, st: st, global: newGlobalKeys(), edits: newEditKeys(), list: newListKeys(),
		out: map[string][]int{}, in: map[string][]int{}, usedN: map[string]int{}}
	for i, e := range s.Plan().Graph {
		c.out[e.From] = append(c.out[e.From], i)
		c.in[e.To] = append(c.in[e.To], i)
	}
	c.reindex()
	return c
}

func (c *shared) reindex() {
	p := c.session.Plan()
	c.pkgs = make(map[string]*plan.Package, len(p.Packages))
	for i := range p.Packages {
		c.pkgs[p.Packages[i].Path] = &p.Packages[i]
	}
}

// short trims the module path from an import path for display.
func (c *shared) short(path string) string {
	m := c.session.Plan().Module
	if path == m {
		return "."
	}
	if rest, ok := strings.CutPrefix(path, m+"/"); ok {
		return rest
	}
	return path
}

// where names the place of a package: its service, "kernel", "wiring" (a composition root),
// "tool" or "-".
func (c *shared) where(path string) string {
	p := c.pkgs[path]
	switch {
	case p == nil:
		return "(outside)"
	case p.Kernel:
		return "kernel"
	case p.Service == "" && p.Tool:
		return "tool"
	case p.Service == "" && p.Wiring:
		return "wiring"
	case p.Service == "":
		return "-"
	default:
		return p.Service
	}
}

// placement explains why a package sits where it is: how its coupling weight splits over the
// services, and whether another service pulls harder than its own.
func (c *shared) placement(path string) []string {
	p := c.pkgs[path]
	if p == nil {
		return nil
	}
	if why := c.placedBy(p); why != "" {
		return []string{why}
	}
	if p.Kernel {
		users := map[string]bool{}
		n := 0
		for _, i := range c.in[path] {
			e := c.session.Plan().Graph[i]
			if q := c.pkgs[e.From]; q != nil && !q.Kernel {
				n++
				users[q.Service] = true
			}
		}
		return []string{fmt.Sprintf("kernel: a shared library, used by %d package(s) in %d service(s); it does not glue them together", n, len(users))}
	}
	by := map[string]float64{}
	total := 0.0
	for _, list := range [][]int{c.out[path], c.in[path]} {
		for _, i := range list {
			e := c.session.Plan().Graph[i]
			other := e.To
			if other == path {
				other = e.From
			}
			q := c.pkgs[other]
			if q == nil || q.Kernel || q.Service == "" || other == path {
				continue
			}
			by[q.Service] += e.Weight
			total += e.Weight
		}
	}
	if total == 0 {
		return []string{"no coupling to other packages of the module: it can sit anywhere"}
	}
	names := make([]string, 0, len(by))
	for n := range by {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		if by[names[i]] != by[names[j]] {
			return by[names[i]] > by[names[j]]
		}
		return names[i] < names[j]
	})
	parts := make([]string, 0, len(names))
	for _, n := range names {
		label := n
		if n == p.Service {
			label += " (own)"
		}
		parts = append(parts, fmt.Sprintf("%s %.0f%%", label, 100*by[n]/total))
	}
	lines := []string{"coupled to: " + strings.Join(parts, " · ")}
	own := by[p.Service]
	if best := names[0]; best != p.Service && by[best] > own {
		lines = append(lines, fmt.Sprintf("pulled harder by %s (%.0f%%) than by %s (%.0f%%): consider moving it (m)", best, 100*by[best]/total, p.Service, 100*own/total))
	} else {
		lines = append(lines, fmt.Sprintf("it sits with the service it is most coupled to (%s)", p.Service))
	}
	return lines
}

// signalsText lists an edge's signals but calls (a column of its own), biggest count first.
func signalsText(sig map[string]float64) string {
	names := make([]string, 0, len(sig))
	for n := range sig {
		if n != "calls" {
			names = append(names, n)
		}
	}
	sort.Slice(names, func(i, j int) bool {
		if sig[names[i]] != sig[names[j]] {
			return sig[names[i]] > sig[names[j]]
		}
		return names[i] < names[j]
	})
	parts := make([]string, 0, len(names))
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%s %s", n, num(sig[n])))
	}
	return strings.Join(parts, " · ")
}

// num prints a count without a fraction and a weight with at most two decimals.
func num(f float64) string {
	if f == math.Trunc(f) {
		return fmt.Sprintf("%d", int64(f))
	}
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.2f", f), "0"), ".")
}

// delta renders a change as ▲/▼ and its size in the given format; "" when it is too small to
// show.
func delta(d float64, format string) string {
	if math.Abs(d) < 0.0005 {
		return ""
	}
	arrow := "▲"
	if d < 0 {
		arrow = "▼"
	}
	return arrow + fmt.Sprintf(format, math.Abs(d))
}

// services returns the names of the services, sorted.
func (c *shared) services() []string { return c.session.Plan().ServiceNames() }

// plural writes n and the word, with an s unless n is 1 ("1 route", "2 tables").
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// placedBy says which structural rule of the analysis placed the package, while it still sits
// where that rule put it ("" once the user moved it, or when coupling placed it).
func (c *shared) placedBy(p *plan.Package) string {
	if p.Why == "" || c.session.Moved(p.Path) {
		return ""
	}
	return "placed by structure: " + p.Why
}

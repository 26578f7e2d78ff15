package evidence

import (
	"slices"

	"github.com/carve-dev/carve/analyze/internal/bitset"
	"github.com/carve-dev/carve/analyze/internal/unionfind"
)

// components lists the imports of w that are services it wires rather than libraries it uses:
// big (a share of its biggest import's build), built by few of its other big imports, built by
// no other main (another main's import is that main's service, or shared; a root over service
// mains is found by buildsOtherMains instead), and not below another component's directory.
func (s *structure) components(w int, otherMains []int) []int {
	ch := s.imports[w]
	if len(ch) < 2 {
		return nil
	}
	biggest := 0
	for _, c := range ch {
		biggest = max(biggest, s.size[c])
	}
	var big []int
	for _, c := range ch {
		if s.size[c] >= 2 && float64(s.size[c]) >= componentSize*float64(biggest) || s.mountedOnly(c, w) {
			big = append(big, c)
		}
	}
	limit := max(1, componentShare*float64(len(big)))
	var comps []int
	for _, c := range big {
		builtBy := 0
		for _, d := range big {
			if d != c && s.closure[d].Has(c) {
				builtBy++
			}
		}
		if float64(builtBy) > limit {
			continue
		}
		shared := false
		for _, m := range otherMains {
			if s.builds(m, c) {
				shared = true
				break
			}
		}
		if shared {
			continue // another main's service (or shared by several)
		}
		comps = append(comps, c)
	}
	comps = slices.DeleteFunc(comps, func(c int) bool {
		for _, d := range comps {
			if d != c && s.under(c, s.g.Info[d].Dir) {
				return true
			}
		}
		return false
	})
	return comps
}

// buildsOtherMains counts the other mains whose own imports r builds: an all-in-one main
// starts what each service main starts.
func (s *structure) buildsOtherMains(r int, mains []int) int {
	n := 0
	for _, o := range mains {
		if o == r {
			continue
		}
		for _, c := range s.ownImports(o, r, mains) {
			if s.closure[r].Has(c) {
				n++
				break
			}
		}
	}
	return n
}

// groupComponents merges the components a root wires that share their own code, or of which
// one adapts the other (adapts): two
// components go together when both build, not through another component, a package that sits
// below their common directory (not the module root), below no component's own directory,
// built by fewer than half of the components and mostly by those below that directory — their
// shared application and domain code, not a library most components use nor another service's
// client. Service mains stay alone. It returns the representatives (the first
// member of each group) and the groups.
func (s *structure) groupComponents(entries []int) ([]int, [][]int) {
	var comps []int // indexes into entries
	for i, p := range entries {
		if !s.g.Info[p].Main {
			comps = append(comps, i)
		}
	}
	code := s.componentCode(entries, comps)
	uf := unionfind.New(len(entries))
	for x, i := range comps {
		for _, j := range comps[x+1:] {
			a, b := entries[i], entries[j]
			common := commonDir(s.g.Info[a].Dir, s.g.Info[b].Dir)
			if common == "." || common == "" {
				continue
			}
			if s.adapts(a, b, code.own[j], common) || s.adapts(b, a, code.own[i], common) || code.shareCode(i, j, common) {
				uf.Union(i, j)
			}
		}
	}
	var groups [][]int
	for _, members := range uf.Groups(nil) {
		grp := make([]int, len(members))
		for k, i := range members {
			grp[k] = entries[i]
		}
		groups = append(groups, grp)
	}
	reps := make([]int, len(groups))
	for k, grp := range groups {
		reps[k] = grp[0]
	}
	return reps, groups
}

// componentCode is what groupComponents knows of the components' own code.
type componentCode struct {
	s       *structure
	entries []int
	comps   []int              // indexes into entries
	own     map[int]bitset.Set // per component: what it builds, not through another component
	builtBy []int              // per package: how many components build it
	// inEntryDir marks packages below a component's directory: that component's (a client, a
	// contract); sharing one is calling that service, not sharing code.
	inEntryDir []bool
}

// componentCode measures what each component builds, not counting what it reaches through
// another component (a query frontend importing the querier shares nothing of its own with it).
func (s *structure) componentCode(entries, comps []int) *componentCode {
	n := len(s.g.Paths)
	c := &componentCode{s: s, entries: entries, comps: comps, own: map[int]bitset.Set{}, builtBy: make([]int, n), inEntryDir: make([]bool, n)}
	stop := make([]bool, n)
	for _, p := range entries {
		stop[p] = true
	}
	for q := range s.g.Paths {
		c.inEntryDir[q] = slices.ContainsFunc(comps, func(i int) bool { return s.under(q, s.g.Info[entries[i]].Dir) })
	}
	for _, i := range comps {
		b := bitset.New(n)
		for _, q := range s.reachFrom(entries[i], stop) {
			b.Add(q)
			c.builtBy[q]++
		}
		c.own[i] = b
	}
	return c
}

// shareCode reports whether components i and j both build a package below common, below no
// component's directory, that fewer than half of all components build (a library is built by
// most) and mostly those below common.
func (c *componentCode) shareCode(i, j int, common string) bool {
	for q := range c.s.g.Paths {
		if !c.own[i].Has(q) || !c.own[j].Has(q) || !c.s.under(q, common) || c.inEntryDir[q] {
			continue
		}
		inside := 0
		for _, k := range c.comps {
			if c.own[k].Has(q) && c.s.under(c.entries[k], common) {
				inside++
			}
		}
		if 2*c.builtBy[q] < len(c.comps) && 2*inside >= c.builtBy[q] {
			return true
		}
	}
	return false
}

// adapts reports whether component a is an adapter of component b's service: a implements an
// interface declared in b's own code below their common directory (a payment gateway wired by
// the main, implementing the orders port, importing nothing of orders).
func (s *structure) adapts(a, b int, bOwn bitset.Set, common string) bool {
	for q, n := range s.g.Impl[a] {
		// The port is b's domain code, not a contract below b's own directory (a client
		// interface another service implements to talk to b).
		if n > 0 && (q == b || bOwn.Has(q)) && s.under(q, common) && !s.under(q, s.g.Info[b].Dir) {
			return true
		}
	}
	return false
}

// mountedOnly reports whether c is an entry point only w mounts: it serves routes and w is the
// only package importing it (a service's handler the root registers, however small its build).
func (s *structure) mountedOnly(c, w int) bool {
	return len(s.g.Routes[c]) > 0 && len(s.users[c]) == 1 && s.users[c][0] == w
}

package evidence

import (
	"path"
	"slices"
	"strings"
)

// ownsDirectory reports whether entry e's code owns dir. The directory must be where Go
// layouts put a service's code: a top-level directory (cmd/orders and orders/), one inside the
// main's own top-level directory, or one beside another service's (internal/orders next to
// internal/users); no other entry, nor another service main's own import, lives there; and
// what is there is used mostly from there (a service's packages use each other; a shared
// library directory is used from everywhere).
func (s *structure) ownsDirectory(e int, dir string, members [][]int, serviceMains []int, tool, wiring []bool) bool {
	code := func(o int) []int { // an entry's packages and, for a main, its own imports
		out := slices.Clone(members[o])
		if s.g.Info[members[o][0]].Main {
			out = append(out, s.ownImports(members[o][0], -1, serviceMains)...)
		}
		return out
	}
	parent := path.Dir(dir)
	top, _, _ := strings.Cut(dir, "/")
	placed := parent == "." || s.under(members[e][0], top)
	for o := range members {
		if o == e {
			continue
		}
		for k, q := range code(o) {
			if s.under(q, dir) {
				return false
			}
			// Beside another service: one of its packages sits in a sibling of dir, or, for
			// the code a main starts, one level below one (orders/api beside users/).
			d := s.g.Info[q].Dir
			main := k == 0 && s.g.Info[q].Main
			placed = placed || path.Dir(d) == parent || (!main && path.Dir(path.Dir(d)) == parent)
		}
	}
	if !placed {
		return false
	}
	inside, outside := 0, 0
	for i := range s.g.Paths {
		if !s.under(i, dir) {
			continue
		}
		for _, u := range s.users[i] {
			switch {
			case tool[u] || wiring[u] || s.g.Info[u].Main:
			case s.under(u, dir):
				inside++
			default:
				outside++
			}
		}
	}
	return inside > 0 && inside >= outside
}

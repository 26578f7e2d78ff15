package evidence

import (
	"slices"
	"strings"

	"github.com/carve-dev/carve/analyze/graph"
	"github.com/carve-dev/carve/analyze/internal/bitset"
)

// structure is the module's own import graph with what the evidence rules need of it.
type structure struct {
	g       *graph.Graph
	imports [][]int      // direct imports among the module's packages (tests excluded)
	users   [][]int      // reverse of imports
	closure []bitset.Set // every package a package builds (not itself)
	size    []int        // closure counts
}

func newStructure(g *graph.Graph) *structure {
	n := len(g.Paths)
	s := &structure{g: g, imports: make([][]int, n), users: make([][]int, n), closure: make([]bitset.Set, n), size: make([]int, n)}
	for i, info := range g.Info {
		for _, imp := range info.Imports {
			if j, ok := g.Index[imp]; ok && j != i {
				s.imports[i] = append(s.imports[i], j)
				s.users[j] = append(s.users[j], i)
			}
		}
	}
	// Closures by depth-first search with memoisation. Go forbids import cycles, but a module
	// that does not compile may have one: a package on the stack is skipped, never looped on.
	state := make([]uint8, n) // 0 new, 1 on stack, 2 done
	var visit func(i int)
	visit = func(i int) {
		state[i] = 1
		c := bitset.New(n)
		for _, j := range s.imports[i] {
			if state[j] == 0 {
				visit(j)
			}
			c.Add(j)
			if state[j] == 2 {
				c.Or(s.closure[j])
			}
		}
		s.closure[i] = c
		state[i] = 2
	}
	for i := range n {
		if state[i] == 0 {
			visit(i)
		}
	}
	for i := range n {
		s.size[i] = s.closure[i].Count()
	}
	return s
}

// under reports whether package i's directory is dir or below it. The module root ("" or ".")
// contains everything but is never a service's directory.
func (s *structure) under(i int, dir string) bool {
	d := s.g.Info[i].Dir
	if dir == "" || dir == "." {
		return false
	}
	return d == dir || strings.HasPrefix(d, dir+"/")
}

// builds reports whether package a builds package b (b is a or in a's closure).
func (s *structure) builds(a, b int) bool { return a == b || s.closure[a].Has(b) }

// topDown orders packages importers first (reverse topological order of the import graph).
func (s *structure) topDown() []int {
	n := len(s.g.Paths)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	// A package builds strictly more than each of its imports, so a bigger closure comes first;
	// ties keep index order (deterministic).
	slices.SortStableFunc(order, func(a, b int) int { return s.size[b] - s.size[a] })
	return order
}

// reachFrom lists the packages p builds without passing through a stopped package (p's own
// imports that are stopped are not listed either).
func (s *structure) reachFrom(p int, stop []bool) []int {
	seen := map[int]bool{p: true}
	var out []int
	stack := []int{p}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, j := range s.imports[i] {
			if seen[j] || stop[j] {
				continue
			}
			seen[j] = true
			out = append(out, j)
			stack = append(stack, j)
		}
	}
	return out
}

// wiringPoint follows a main through thin shells: while one import holds most of what the
// package builds, the wiring happens there.
func (s *structure) wiringPoint(m int) int {
	w := m
	for range len(s.g.Paths) {
		next := -1
		for _, c := range s.imports[w] {
			if float64(s.size[c]) >= handOver*float64(s.size[w]) {
				if next >= 0 {
					return w
				}
				next = c
			}
		}
		if next < 0 {
			return w
		}
		w = next
	}
	return w
}

// moduleDirs returns the directory of each module of a workspace (relative to its root), read
// off the packages: a package's directory less its path below the module. A single module at
// the root has none: its directory is the whole tree.
func (s *structure) moduleDirs(modulePaths []string) []string {
	if len(modulePaths) < 2 {
		return nil
	}
	var dirs []string
	for _, mp := range modulePaths {
		for _, info := range s.g.Info {
			rel, ok := strings.CutPrefix(info.Path, mp)
			if !ok || (rel != "" && rel[0] != '/') {
				continue
			}
			if dir, ok := strings.CutSuffix(info.Dir, rel); ok && dir != "" && dir != "." {
				dirs = append(dirs, strings.TrimSuffix(dir, "/"))
			}
			break
		}
	}
	return dirs
}

// ownImports are the packages main m imports directly that no other main but m and the
// excepted one builds: the service's own code the main starts.
func (s *structure) ownImports(m, except int, mains []int) []int {
	var out []int
	for _, c := range s.imports[m] {
		shared := false
		for _, o := range mains {
			if o != m && o != except && s.builds(o, c) {
				shared = true
				break
			}
		}
		if !shared {
			out = append(out, c)
		}
	}
	return out
}

// commonDir is the deepest directory holding both a and b ("." when only the root does).
func commonDir(a, b string) string {
	as, bs := strings.Split(a, "/"), strings.Split(b, "/")
	k := 0
	for k < len(as) && k < len(bs) && as[k] == bs[k] {
		k++
	}
	if k == 0 {
		return "."
	}
	return strings.Join(as[:k], "/")
}

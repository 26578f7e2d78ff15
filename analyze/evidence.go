package analyze

import (
	"fmt"
	"maps"
	"math/bits"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Evidence is what the module's structure says about its services before any clustering, in the
// order of strength the design gives (docs/plan.md, "How services are found"):
//
//  1. Mains. A main package that is not a tool and does not wire several services is a service
//     main: it and what only it builds are one service.
//  2. Composition roots. A main (or the package it hands over to, cmd/x → cmd/x/app) whose
//     direct imports include two or more components — big subtrees of the module that few other
//     packages use and that no two service mains share — wires several services in one process
//     (an all-in-one binary, `-target=X`). The root and every main that builds it are wiring,
//     left out of services; each component it wires is a service entry unless a service main
//     already builds it.
//  3. The directory tree, as a prior: a package below an entry's directory belongs to it
//     (contract and client packages live beside their service). Only the tree's shape is used,
//     never its names, so a path-blind copy gets the same answer.
//  4. Builds. A package that only one entry's build reaches (not counting what it reaches
//     through another entry) is that entry's; one reached by two or more is shared kernel —
//     unless it serves routes or owns tables, or one service is almost all of its users.
//
// What none of this places (a package used by nothing, by tools only, or only by the wiring)
// is left to coupling.
type evidence struct {
	// entries are the service entries: a service main or a component a root wires.
	entries []int
	// of is the entry index (into entries) each package belongs to, or one of the role values.
	of []int
	// why says, per package, which rule placed it (for "why it sits where it is").
	why []string
	// root marks the composition roots themselves: the mains and the packages they hand over to.
	root []bool
	// serviceMains counts the entries that are service mains (the rest are components a root
	// wires).
	serviceMains int
	// members are each entry's entry packages: the main, or the components a root wires that
	// share their code (entries[e] is members[e][0]).
	members [][]int
	// ownsTree marks the entries that own a directory subtree: the directory rule placed a
	// package for them.
	ownsTree []bool
}

// Package roles in evidence.of besides an entry index.
const (
	evUnplaced = -1 // no structural evidence: placed by coupling
	evKernel   = -2 // shared by the builds of several services
	evWiring   = -3 // a composition root, a main that builds one, or what only they use
	evTool     = -4 // a tooling main (generator, test harness, example, dev tool) or what only tools use
)

// Thresholds of the structural rules. They are documented in docs/plan.md.
const (
	// componentSize is how big a root's import must be, as a share of its biggest import's build
	// (closure), to be a component rather than a library it also uses.
	componentSize = 0.5
	// componentShare is the most of the root's other big imports that may build a component:
	// a library is built by many of them, a service by few (a live store reuses an ingester).
	componentShare = 0.25
	// handOver is the share of a main's build one import must hold for the main to be a thin
	// shell around it (cmd/x importing cmd/x/app): the wiring happens there.
	handOver = 0.8
	// dominantUser is the share of a shared package's importers (by coupling weight) one service
	// must hold for the package to be that service's own code rather than kernel.
	dominantUser = 0.7
	// ownerShare is the share of a shared package's use one service must hold for the routes it
	// serves or the tables it owns to make it that service's.
	ownerShare = 0.5
	// maxKernelRoutes is the most of the route-serving packages the structural evidence may put
	// in the kernel before it is distrusted (see placement.explainsRoutes).
	maxKernelRoutes = 0.5
)

// bitset is a fixed-size set of package indexes.
type bitset []uint64

func newBitset(n int) bitset    { return make(bitset, (n+63)/64) }
func (b bitset) set(i int)      { b[i/64] |= 1 << (i % 64) }
func (b bitset) has(i int) bool { return b[i/64]&(1<<(i%64)) != 0 }
func (b bitset) or(o bitset) {
	for i := range b {
		b[i] |= o[i]
	}
}
func (b bitset) count() (n int) {
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return n
}

// structure is the module's own import graph with what the evidence rules need of it.
type structure struct {
	g       *pkgGraph
	imports [][]int  // direct imports among the module's packages (tests excluded)
	users   [][]int  // reverse of imports
	closure []bitset // every package a package builds (not itself)
	size    []int    // closure counts
}

func newStructure(g *pkgGraph) *structure {
	n := len(g.paths)
	s := &structure{g: g, imports: make([][]int, n), users: make([][]int, n), closure: make([]bitset, n), size: make([]int, n)}
	for i, info := range g.info {
		for _, imp := range info.Imports {
			if j, ok := g.index[imp]; ok && j != i {
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
		c := newBitset(n)
		for _, j := range s.imports[i] {
			if state[j] == 0 {
				visit(j)
			}
			c.set(j)
			if state[j] == 2 {
				c.or(s.closure[j])
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
		s.size[i] = s.closure[i].count()
	}
	return s
}

// under reports whether package i's directory is dir or below it. The module root ("" or ".")
// contains everything but is never a service's directory.
func (s *structure) under(i int, dir string) bool {
	d := s.g.info[i].Dir
	if dir == "" || dir == "." {
		return false
	}
	return d == dir || strings.HasPrefix(d, dir+"/")
}

// builds reports whether package a builds package b (b is a or in a's closure).
func (s *structure) builds(a, b int) bool { return a == b || s.closure[a].has(b) }

// gatherEvidence applies the structural rules. tools and roots are the packages carve.yaml
// declares tools or composition roots (nil for none); mains lists packages carve.yaml declares
// service mains, never taken for tools.
func gatherEvidence(g *pkgGraph, declared roleDecl, modulePaths []string) *evidence {
	s := newStructure(g)
	modules := s.moduleDirs(modulePaths)
	n := len(g.paths)
	ev := &evidence{of: make([]int, n), why: make([]string, n)}
	for i := range ev.of {
		ev.of[i] = evUnplaced
	}

	var mains []int
	tool := make([]bool, n)
	for i, info := range g.info {
		switch {
		case declared.tool[i]:
			tool[i] = true
			ev.why[i] = "declared a tool in carve.yaml"
		case declared.root[i], declared.main[i]:
		case info.Main && isToolMain(info):
			tool[i] = true
			ev.why[i] = "a tooling main (" + toolReason(info) + ")"
		}
		if info.Main || declared.root[i] || declared.main[i] {
			mains = append(mains, i)
		}
	}

	// Roots: mains whose wiring point wires two or more components.
	var candidates []int // mains that may be service mains
	for _, m := range mains {
		if !tool[m] {
			candidates = append(candidates, m)
		}
	}
	rootPkg := make([]bool, n) // the wiring points of roots
	components := map[int][]int{}
	for _, m := range candidates {
		w := s.wiringPoint(m)
		var others []int
		for _, o := range candidates {
			if o != m && o != w && !s.builds(o, w) {
				others = append(others, o)
			}
		}
		comps := s.components(w, others)
		// A service main wiring its own packages is no root: components below the main's
		// directory, or beside the package it hands over to (cmd/x → x/api wiring x/domain,
		// x/store), are its own.
		mainDir, wParent := g.info[m].Dir, path.Dir(g.info[w].Dir)
		comps = slices.DeleteFunc(comps, func(c int) bool {
			return s.under(c, mainDir) || (w != m && s.under(c, wParent))
		})
		if len(comps) >= 2 || declared.root[m] || s.buildsOtherMains(m, candidates) >= 2 {
			rootPkg[w], rootPkg[m] = true, true
			components[m] = comps
		}
	}
	ev.root = rootPkg
	wiring := make([]bool, n)
	for _, m := range mains {
		if tool[m] {
			continue
		}
		for r := range n {
			if rootPkg[r] && s.builds(m, r) {
				wiring[m] = true
				ev.why[m] = "a composition root: it builds " + g.paths[r] + ", which wires several services"
				break
			}
		}
	}
	for r := range n {
		if rootPkg[r] {
			wiring[r] = true
			if ev.why[r] == "" {
				ev.why[r] = "a composition root: it wires several services"
			}
		}
	}

	// Entries: service mains, then the components no service main builds.
	var serviceMains []int
	for _, m := range candidates {
		if !wiring[m] {
			serviceMains = append(serviceMains, m)
			ev.entries = append(ev.entries, m)
			ev.serviceMains++
		}
	}
	for _, m := range mains {
		for _, c := range components[m] {
			hosts := 0
			for _, sm := range serviceMains {
				if s.builds(sm, c) {
					hosts++
				}
			}
			if hosts == 0 && !slices.Contains(ev.entries, c) {
				ev.entries = append(ev.entries, c)
			}
		}
	}
	slices.Sort(ev.entries)
	// Components that share their own internals are one service's several entry points (a
	// public and a private handler, a gRPC server and a consumer over one domain): they label
	// one service, never split it.
	ev.entries, ev.members = s.groupComponents(ev.entries)
	isEntry := make([]int, n)
	for i := range isEntry {
		isEntry[i] = -1
	}
	for e, ms := range ev.members {
		for _, p := range ms {
			isEntry[p] = e
			ev.of[p] = e
			if ev.why[p] == "" {
				switch {
				case g.info[p].Main:
					ev.why[p] = "a service main"
				case len(ms) > 1:
					ev.why[p] = "one of " + plural(len(ms), "entry point") + " a composition root wires that share their code"
				default:
					ev.why[p] = "a service a composition root wires"
				}
			}
		}
	}

	// Builds: which entries reach a package, not counting what they reach through another
	// entry, a root or a tool.
	stop := make([]bool, n)
	for i := range n {
		stop[i] = isEntry[i] >= 0 || wiring[i] || tool[i]
	}
	reach := make([][]int, n) // entries that build each package
	for e, ms := range ev.members {
		seen := map[int]bool{}
		for _, p := range ms {
			for _, q := range s.reachFrom(p, stop) {
				if !seen[q] {
					seen[q] = true
					reach[q] = append(reach[q], e)
				}
			}
		}
	}

	// The directory tree: below an entry's directory (the nearest one). In a workspace, a
	// module holding one entry is that entry's territory as a whole.
	ev.ownsTree = make([]bool, len(ev.entries))
	territory := make([][]string, len(ev.entries))
	for e, p := range ev.entries {
		territory[e] = []string{g.info[p].Dir}
	}
	// A service main's code lives where its own imports live: the directory above each of them
	// (cmd/orders starting orders/api: orders/), when no other entry has code there.
	for e, p := range ev.entries {
		if !g.info[p].Main {
			continue
		}
		for _, c := range s.ownImports(p, -1, serviceMains) {
			dir := path.Dir(g.info[c].Dir)
			if dir == "." || dir == "" || s.under(p, dir) {
				continue
			}
			if s.ownsDirectory(e, dir, ev.members, serviceMains, tool, wiring) && !slices.Contains(territory[e], dir) {
				territory[e] = append(territory[e], dir)
			}
		}
	}
	for e, ms := range ev.members {
		if g.info[ms[0]].Main {
			continue
		}
		// A component's code lives in the directory above it (catalog/api: catalog/), or in
		// the directory its entry points share (catalog/adapters/grpc, catalog/adapters/http:
		// catalog/ once the shared directory is left).
		dir := g.info[ms[0]].Dir
		for _, p := range ms[1:] {
			dir = commonDir(dir, g.info[p].Dir)
		}
		if len(ms) == 1 || slices.Contains(territory[e], dir) {
			dir = path.Dir(dir)
		}
		// Climb while the service still owns the directory: the highest one it owns is its
		// context (catalog/ above catalog/adapters/).
		owned := ""
		for ; dir != "." && dir != "" && s.ownsDirectory(e, dir, ev.members, serviceMains, tool, wiring); dir = path.Dir(dir) {
			owned = dir
		}
		if owned != "" {
			territory[e] = append(territory[e], owned)
		}
	}
	for _, dir := range modules {
		var in []int
		for e, p := range ev.entries {
			if s.under(p, dir) {
				in = append(in, e)
			}
		}
		if len(in) == 1 {
			territory[in[0]] = append(territory[in[0]], dir)
		}
	}
	for i := range n {
		if ev.of[i] != evUnplaced || tool[i] || wiring[i] {
			continue
		}
		best, bestDir := -1, ""
		for e, dirs := range territory {
			for _, d := range dirs {
				if s.under(i, d) && (best < 0 || len(d) > len(bestDir)) {
					best, bestDir = e, d
				}
			}
		}
		if best >= 0 {
			ev.of[i] = best
			ev.why[i] = "below " + bestDir + "/, the directory of " + g.paths[ev.entries[best]] + "'s code"
			ev.ownsTree[best] = true
		}
	}

	// Builds: which entries reach a package (computed above).
	for i := range n {
		if ev.of[i] != evUnplaced || tool[i] || wiring[i] {
			continue
		}
		switch len(reach[i]) {
		case 0:
		case 1:
			ev.of[i] = reach[i][0]
			ev.why[i] = "only " + g.paths[ev.entries[reach[i][0]]] + " builds it"
		default:
			ev.of[i] = evKernel
			ev.why[i] = "built by " + plural(len(reach[i]), "service") + ": shared kernel"
		}
	}
	s.claimShared(ev, reach)
	s.claimStubs(ev)

	// Tools and wiring take what only they use.
	for i := range n {
		switch {
		case tool[i]:
			ev.of[i] = evTool
		case wiring[i]:
			ev.of[i] = evWiring
		}
	}
	for _, role := range []int{evTool, evWiring} {
		for changed := true; changed; {
			changed = false
			for i := range n {
				if ev.of[i] != evUnplaced || len(s.users[i]) == 0 {
					continue
				}
				all := true
				for _, u := range s.users[i] {
					if ev.of[u] != role {
						all = false
						break
					}
				}
				if all {
					ev.of[i] = role
					if role == evTool {
						ev.why[i] = "used by tools only"
					} else {
						ev.why[i] = "used by the composition root only"
					}
					changed = true
				}
			}
		}
	}
	return ev
}

// claimShared gives a package several entries build to one service when it is that service's
// own code used across a boundary rather than a library: it serves routes or owns tables (a
// library does neither), or one service holds most of its importers and it builds on that
// service's code. Packages are visited importers first, so a claim can support the next.
func (s *structure) claimShared(ev *evidence, reach [][]int) {
	g := s.g
	order := s.topDown()
	for _, i := range order {
		if ev.of[i] != evKernel {
			continue
		}
		byEntry := map[int]float64{}
		total := 0.0
		for _, u := range s.users[i] {
			w := g.adj[u][i]
			if w == 0 {
				w = 1
			}
			if e := ev.of[u]; e >= 0 {
				byEntry[e] += w
			}
			total += w
		}
		best, bestW := -1, 0.0
		for _, e := range reach[i] {
			if byEntry[e] > bestW {
				best, bestW = e, byEntry[e]
			}
		}
		if best < 0 {
			continue
		}
		// A package serving routes or owning tables is a service's, not a library, when that
		// service is at least half of its use; a health or version endpoint every service
		// mounts stays shared.
		owns := (len(g.routes[i]) > 0 || len(g.tables[i]) > 0) && bestW >= ownerShare*total
		dominated := bestW >= dominantUser*total
		if dominated && !owns {
			dominated = false
			for _, j := range s.imports[i] {
				if ev.of[j] == best {
					dominated = true
					break
				}
			}
		}
		if owns || dominated {
			ev.of[i] = best
			ev.why[i] = "shared, but " + g.paths[ev.entries[best]] + "'s own code: "
			if owns {
				ev.why[i] += "it serves routes or owns tables"
			} else {
				ev.why[i] += "that service uses it most and it builds on that service"
			}
		}
	}
}

// topDown orders packages importers first (reverse topological order of the import graph).
func (s *structure) topDown() []int {
	n := len(s.g.paths)
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
	for range len(s.g.paths) {
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
		if s.size[c] >= 2 && float64(s.size[c]) >= componentSize*float64(biggest) {
			big = append(big, c)
		}
	}
	limit := max(1, componentShare*float64(len(big)))
	var comps []int
	for _, c := range big {
		builtBy := 0
		for _, d := range big {
			if d != c && s.closure[d].has(c) {
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
			if d != c && s.under(c, s.g.info[d].Dir) {
				return true
			}
		}
		return false
	})
	return comps
}

// Tooling mains, recognised by the path element they sit below or by what they import.
var (
	toolDirs = map[string]bool{
		"tools": true, "tool": true, "hack": true, "scripts": true, "script": true, "ci": true,
		"example": true, "examples": true, "_examples": true, "demo": true, "demos": true,
		"test": true, "tests": true, "testing": true, "testutil": true, "testutils": true,
		"e2e": true, "integration": true, "crossdock": true, "bench": true, "benchmark": true,
		"benchmarks": true, "gen": true, "codegen": true, "generator": true, "generators": true,
		"mock": true, "mocks": true, "fake": true, "fakes": true, "dev": true,
	}
	toolSuffixes = []string{"-gen", "gen", "-generator", "-cli", "-tool", "-tools", "-test", "-tests", "-bench", "-lint", "-linter", "-migrate", "-mock", "-example"}
	toolPrefixes = []string{"protoc-gen-", "gen-", "gen_", "generate-", "mock", "test-", "bench-", "example-"}
	// toolImports mark a code generator (it parses or prints Go) or a test harness (it drives
	// tests outside `go test`).
	toolImports = map[string]string{
		"go/ast": "code generator", "go/parser": "code generator", "go/printer": "code generator",
		"go/format": "code generator", "golang.org/x/tools/go/packages": "code generator",
		"testing": "test harness", "net/http/httptest": "test harness",
		"github.com/stretchr/testify/assert": "test harness", "github.com/stretchr/testify/require": "test harness",
	}
)

func isToolMain(info PackageInfo) bool { return toolReason(info) != "" }

// toolReason says why a main is a tool, or "" when it is not one.
func toolReason(info PackageInfo) string {
	for _, el := range strings.Split(info.Dir, "/") {
		if toolDirs[el] {
			return "below " + el + "/"
		}
	}
	base := path.Base(info.Dir)
	for _, suf := range toolSuffixes {
		if strings.HasSuffix(base, suf) && base != suf {
			return "named *" + suf
		}
	}
	for _, pre := range toolPrefixes {
		if strings.HasPrefix(base, pre) && base != pre {
			return "named " + pre + "*"
		}
	}
	for _, imp := range info.Imports {
		if kind, ok := toolImports[imp]; ok {
			return "a " + kind + ": imports " + imp
		}
	}
	return ""
}

// roleDecl is what carve.yaml declares about packages' roles (indexes into pkgGraph.paths).
type roleDecl struct {
	tool, root, main []bool
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// placement is where the evidence path puts every package.
type placement struct {
	label  []int // service index per package; -1 kernel, outside for wiring and tools
	wiring []bool
	tool   []bool
	root   []bool // the composition roots themselves (evidence.root)
}

// place turns the evidence into a placement. Packages the structure does not place join the
// group they are most coupled with; a group carve.yaml keeps together follows its majority, and
// of two packages kept apart but found together the second gets a service of its own. Pins and
// kernel marks are applied afterwards, to either path (applyPins).
func place(g *pkgGraph, ev *evidence, cons *constraints) (*placement, []string) {
	n := len(g.paths)
	pl := &placement{label: make([]int, n), wiring: make([]bool, n), tool: make([]bool, n), root: ev.root}
	of := slices.Clone(ev.of)
	// Coupling decides what the structure left open, strongest tie first, until nothing moves.
	for changed := true; changed; {
		changed = false
		for i := range n {
			if of[i] != evUnplaced {
				continue
			}
			byGroup := map[int]float64{}
			for j, w := range g.adj[i] {
				if of[j] != evUnplaced {
					byGroup[of[j]] += w
				}
			}
			best, bestW := evUnplaced, 0.0
			for _, grp := range slices.Sorted(maps.Keys(byGroup)) {
				if byGroup[grp] > bestW {
					best, bestW = grp, byGroup[grp]
				}
			}
			if best != evUnplaced {
				of[i] = best
				ev.why[i] = ""
				changed = true
			}
		}
	}
	var warnings []string
	next := len(ev.entries)
	for i := range n {
		if of[i] == evUnplaced {
			of[i] = evKernel // coupled to nothing: a stray library
		}
	}
	for _, grp := range cons.together {
		votes := map[int]int{}
		for _, i := range grp {
			votes[of[i]]++
		}
		best, bestN := of[grp[0]], 0
		for _, l := range slices.Sorted(maps.Keys(votes)) {
			if votes[l] > bestN {
				best, bestN = l, votes[l]
			}
		}
		for _, i := range grp {
			of[i] = best
		}
	}
	for k, pair := range cons.apart {
		a, b := pair[0], pair[1]
		if of[a] == of[b] && of[a] >= 0 {
			of[b] = next
			next++
			warnings = append(warnings, fmt.Sprintf("carve.yaml:%d: %s and %s must be apart; %s was given a service of its own", cons.apartLine[k], g.paths[a], g.paths[b], g.paths[b]))
		}
	}
	// Number the services densely in order of first package.
	renum := map[int]int{}
	for i := range n {
		switch l := of[i]; {
		case l >= 0:
			if _, ok := renum[l]; !ok {
				renum[l] = len(renum)
			}
			pl.label[i] = renum[l]
		case l == evWiring:
			pl.label[i], pl.wiring[i] = outside, true
		case l == evTool:
			pl.label[i], pl.tool[i] = outside, true
		default:
			pl.label[i] = -1
		}
	}
	return pl, warnings
}

// explainsRoutes reports whether the placement keeps most entry points in services. Routes label
// services: when the structure puts most of the packages that serve routes into the shared
// kernel or the wiring, the "components" it found are not the services (a main that constructs
// every store and handler itself, with a router among its imports), and coupling must decide.
// The roots' own routes (health, debug) do not count.
func (pl *placement) explainsRoutes(g *pkgGraph) bool {
	serving, lost := 0, 0
	for i := range g.paths {
		if len(g.routes[i]) == 0 || g.info[i].Main || pl.root[i] || pl.tool[i] {
			continue
		}
		serving++
		if pl.label[i] < 0 {
			lost++
		}
	}
	return float64(lost) <= maxKernelRoutes*float64(serving)
}

// trusted reports whether the evidence is strong enough to place packages by structure: two or
// more service mains, or components of a root of which at least half own a directory subtree (a
// package below their directory). A root's imports in a flat tree may be handlers, stores and
// routers alike; the subtree is what makes them modules. Only the tree's shape counts, so a
// path-blind copy is trusted the same.
func (ev *evidence) trusted(g *pkgGraph) bool {
	if len(ev.entries) < 2 {
		return false
	}
	if ev.serviceMains >= 2 {
		return true
	}
	owning := 0
	for _, owns := range ev.ownsTree {
		if owns {
			owning++
		}
	}
	return 2*owning >= len(ev.entries)
}

// claimStubs gives generated API code to the service that implements its server: a generated
// package several services build (the server stub, and the client stub its callers use) whose
// interfaces are implemented by one service's packages only belongs to that service. A client
// package generated from the same spec (beside it in the directory tree, or importing it) goes
// with it.
func (s *structure) claimStubs(ev *evidence) {
	g := s.g
	owner := make([]int, len(g.paths))
	for i := range owner {
		owner[i] = evUnplaced
	}
	for i, info := range g.info {
		if !info.Generated || ev.of[i] != evKernel {
			continue
		}
		impl := evUnplaced
		for from, to := range g.impl {
			if to[i] == 0 || from == i {
				continue
			}
			switch e := ev.of[from]; {
			case e < 0:
			case impl == evUnplaced:
				impl = e
			case impl != e:
				impl = evKernel // implemented by two services: a shared contract
			}
		}
		if impl >= 0 {
			owner[i] = impl
		}
	}
	for i, e := range owner {
		if e >= 0 {
			ev.of[i] = e
			ev.why[i] = "generated API code whose server " + g.paths[ev.entries[e]] + " implements"
		}
	}
	// Generated siblings and importers from the same spec (the client beside the server stub).
	for i, info := range g.info {
		if !info.Generated || ev.of[i] != evKernel {
			continue
		}
		for _, j := range s.imports[i] {
			if e := owner[j]; e >= 0 && path.Dir(info.Dir) == path.Dir(g.info[j].Dir) || e >= 0 && info.Dir == g.info[j].Dir {
				ev.of[i] = e
				ev.why[i] = "generated from the same spec as " + g.paths[j]
				break
			}
		}
	}
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
		for _, info := range s.g.info {
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

// buildsOtherMains counts the other mains whose own imports r builds: an all-in-one main
// starts what each service main starts.
func (s *structure) buildsOtherMains(r int, mains []int) int {
	n := 0
	for _, o := range mains {
		if o == r {
			continue
		}
		for _, c := range s.ownImports(o, r, mains) {
			if s.closure[r].has(c) {
				n++
				break
			}
		}
	}
	return n
}

// ownsDirectory reports whether entry e's code owns dir. The directory must be where Go
// layouts put a service's code: a top-level directory (cmd/orders and orders/), one inside the
// main's own top-level directory, or one beside another service's (internal/orders next to
// internal/users); no other entry, nor another service main's own import, lives there; and
// what is there is used mostly from there (a service's packages use each other; a shared
// library directory is used from everywhere).
func (s *structure) ownsDirectory(e int, dir string, members [][]int, serviceMains []int, tool, wiring []bool) bool {
	code := func(o int) []int { // an entry's packages and, for a main, its own imports
		out := slices.Clone(members[o])
		if s.g.info[members[o][0]].Main {
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
			d := s.g.info[q].Dir
			main := k == 0 && s.g.info[q].Main
			placed = placed || path.Dir(d) == parent || (!main && path.Dir(path.Dir(d)) == parent)
		}
	}
	if !placed {
		return false
	}
	inside, outside := 0, 0
	for i := range s.g.paths {
		if !s.under(i, dir) {
			continue
		}
		for _, u := range s.users[i] {
			switch {
			case tool[u] || wiring[u] || s.g.info[u].Main:
			case s.under(u, dir):
				inside++
			default:
				outside++
			}
		}
	}
	return inside > 0 && inside >= outside
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
	parent := make([]int, len(entries))
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	var comps []int // indexes into entries
	for i, p := range entries {
		if !s.g.info[p].Main {
			comps = append(comps, i)
		}
	}
	// What each component builds, not counting what it reaches through another component (a
	// query frontend importing the querier shares nothing of its own with it).
	stop := make([]bool, len(s.g.paths))
	for _, p := range entries {
		stop[p] = true
	}
	// A package below any component's directory is that component's (a client, a contract):
	// sharing it is calling that service, not sharing code.
	inEntryDir := make([]bool, len(s.g.paths))
	for q := range s.g.paths {
		for _, i := range comps {
			if s.under(q, s.g.info[entries[i]].Dir) {
				inEntryDir[q] = true
				break
			}
		}
	}
	own := map[int]bitset{}
	builtBy := map[int]int{}
	for _, i := range comps {
		b := newBitset(len(s.g.paths))
		for _, q := range s.reachFrom(entries[i], stop) {
			b.set(q)
			builtBy[q]++
		}
		own[i] = b
	}
	// q is shared code of the components below common when fewer than half of all components
	// build it (a library is built by most) and most of those that do are below common.
	sharedCode := func(q int, common string) bool {
		inside := 0
		for _, k := range comps {
			if own[k].has(q) && s.under(entries[k], common) {
				inside++
			}
		}
		return 2*builtBy[q] < len(comps) && 2*inside >= builtBy[q]
	}
	for x, i := range comps {
		for _, j := range comps[x+1:] {
			a, b := entries[i], entries[j]
			common := commonDir(s.g.info[a].Dir, s.g.info[b].Dir)
			if common == "." || common == "" {
				continue
			}
			if s.adapts(a, b, own[j], common) || s.adapts(b, a, own[i], common) {
				parent[find(i)] = find(j)
				continue
			}
			for q := range s.g.paths {
				if own[i].has(q) && own[j].has(q) && s.under(q, common) && !inEntryDir[q] && sharedCode(q, common) {
					parent[find(i)] = find(j)
					break
				}
			}
		}
	}
	byRoot := map[int][]int{}
	var order []int
	for i, p := range entries {
		r := find(i)
		if _, ok := byRoot[r]; !ok {
			order = append(order, r)
		}
		byRoot[r] = append(byRoot[r], p)
	}
	var reps []int
	var groups [][]int
	for _, r := range order {
		reps = append(reps, byRoot[r][0])
		groups = append(groups, byRoot[r])
	}
	return reps, groups
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

// adapts reports whether component a is an adapter of component b's service: a implements an
// interface declared in b's own code below their common directory (a payment gateway wired by
// the main, implementing the orders port, importing nothing of orders).
func (s *structure) adapts(a, b int, bOwn bitset, common string) bool {
	for q, n := range s.g.impl[a] {
		// The port is b's domain code, not a contract below b's own directory (a client
		// interface another service implements to talk to b).
		if n > 0 && (q == b || bOwn.has(q)) && s.under(q, common) && !s.under(q, s.g.info[b].Dir) {
			return true
		}
	}
	return false
}

package evidence

import (
	"path"
	"slices"
	"strconv"

	"github.com/carve-dev/carve/analyze/graph"
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
type Evidence struct {
	// Entries are the service Entries: a service main or a component a root wires.
	Entries []int
	// of is the entry index (into entries) each package belongs to, or one of the role values.
	of []int
	// Why says, per package, which rule placed it (for "Why it sits where it is").
	Why []string
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

// Gather applies the structural rules, strongest first. declared holds what carve.yaml
// says of roles; modulePaths are the workspace's modules.
func Gather(g *graph.Graph, declared RoleDecl, modulePaths []string) *Evidence {
	b := newGatherer(g, declared)
	b.findMains()
	b.findRoots()
	b.findEntries()
	b.measureBuilds()
	b.mapTerritories(b.s.moduleDirs(modulePaths))
	b.placeByTree()
	b.placeByBuilds()
	b.s.claimStubs(b.ev) // before claimShared: a stub serving routes is its implementer's, not its heaviest caller's
	b.s.claimShared(b.ev, b.reach)
	b.placeToolsAndWiring()
	return b.ev
}

// gatherer holds the state of one gatherEvidence: each step reads what the steps before it
// found.
type gatherer struct {
	s        *structure
	g        *graph.Graph
	declared RoleDecl
	ev       *Evidence

	mains        []int         // every main (and declared root or main)
	candidates   []int         // mains that are not tools
	tool, wiring []bool        // per package
	components   map[int][]int // root main → the components its wiring point wires
	serviceMains []int
	isEntry      []int      // per package: its entry, or -1
	reach        [][]int    // per package: the entries that build it
	territory    [][]string // per entry: the directories whose packages are its
}

func newGatherer(g *graph.Graph, declared RoleDecl) *gatherer {
	n := len(g.Paths)
	ev := &Evidence{of: make([]int, n), Why: make([]string, n)}
	for i := range ev.of {
		ev.of[i] = evUnplaced
	}
	return &gatherer{s: newStructure(g), g: g, declared: declared, ev: ev, tool: make([]bool, n), wiring: make([]bool, n), components: map[int][]int{}}
}

// findMains lists the mains and marks the tools among them.
func (b *gatherer) findMains() {
	for i, info := range b.g.Info {
		switch {
		case b.declared.Tool[i]:
			b.tool[i] = true
			b.ev.Why[i] = "declared a tool in carve.yaml"
		case b.declared.Root[i], b.declared.Main[i]:
		case info.Main && IsToolMain(info):
			b.tool[i] = true
			b.ev.Why[i] = "a tooling main (" + ToolReason(info) + ")"
		}
		if info.Main || b.declared.Root[i] || b.declared.Main[i] {
			b.mains = append(b.mains, i)
		}
	}
	for _, m := range b.mains {
		if !b.tool[m] {
			b.candidates = append(b.candidates, m)
		}
	}
}

// findRoots marks the composition roots (see docs/plan.md) and what is wiring: the roots, their
// mains and every main that builds a root.
func (b *gatherer) findRoots() {
	s, g, n := b.s, b.g, len(b.g.Paths)
	rootPkg := make([]bool, n) // the roots' mains and wiring points
	for _, m := range b.candidates {
		w := s.wiringPoint(m)
		var others []int
		for _, o := range b.candidates {
			if o != m && o != w && !s.builds(o, w) {
				others = append(others, o)
			}
		}
		comps := s.components(w, others)
		// A service main wiring its own packages is no root: components below the main's
		// directory, or beside the package it hands over to (cmd/x → x/api wiring x/domain,
		// x/store), are its own.
		mainDir, wParent := g.Info[m].Dir, path.Dir(g.Info[w].Dir)
		comps = slices.DeleteFunc(comps, func(c int) bool {
			return s.under(c, mainDir) || (w != m && s.under(c, wParent))
		})
		if len(comps) >= 2 || b.declared.Root[m] || s.buildsOtherMains(m, b.candidates) >= 2 {
			rootPkg[w], rootPkg[m] = true, true
			b.components[m] = comps
		}
	}
	// A second root over the same services (an end-to-end harness beside the all-in-one main)
	// is hidden by the first: each service main's imports are built by two mains then, so none
	// is that main's own. Looked at again without the roots found, it starts what the service
	// mains start.
	rest := slices.DeleteFunc(slices.Clone(b.candidates), func(m int) bool { return rootPkg[m] })
	if len(rest) < len(b.candidates) {
		for _, m := range rest {
			if s.buildsOtherMains(m, rest) >= 2 {
				rootPkg[m], rootPkg[s.wiringPoint(m)] = true, true
			}
		}
	}
	b.ev.root = rootPkg
	for _, m := range b.candidates {
		for r := range n {
			if rootPkg[r] && s.builds(m, r) {
				b.wiring[m] = true
				b.ev.Why[m] = "a composition root: it builds " + g.Paths[r] + ", which wires several services"
				break
			}
		}
	}
	for r := range n {
		if rootPkg[r] {
			b.wiring[r] = true
			if b.ev.Why[r] == "" {
				b.ev.Why[r] = "a composition root: it wires several services"
			}
		}
	}
}

// findEntries lists the service entries: service mains, then the components no service main
// builds, grouped so that components sharing their code are one service.
func (b *gatherer) findEntries() {
	s, g, ev := b.s, b.g, b.ev
	for _, m := range b.candidates {
		if !b.wiring[m] {
			b.serviceMains = append(b.serviceMains, m)
			ev.Entries = append(ev.Entries, m)
			ev.serviceMains++
		}
	}
	for _, m := range b.mains {
		for _, c := range b.components[m] {
			hosted := slices.ContainsFunc(b.serviceMains, func(sm int) bool { return s.builds(sm, c) })
			if !hosted && !slices.Contains(ev.Entries, c) {
				ev.Entries = append(ev.Entries, c)
			}
		}
	}
	slices.Sort(ev.Entries)
	// Components that share their own internals are one service's several entry points (a
	// public and a private handler, a gRPC server and a consumer over one domain): they label
	// one service, never split it.
	ev.Entries, ev.members = s.groupComponents(ev.Entries)
	b.isEntry = make([]int, len(g.Paths))
	for i := range b.isEntry {
		b.isEntry[i] = -1
	}
	for e, ms := range ev.members {
		for _, p := range ms {
			b.isEntry[p] = e
			ev.of[p] = e
			if ev.Why[p] != "" {
				continue
			}
			switch {
			case g.Info[p].Main:
				ev.Why[p] = "a service main"
			case len(ms) > 1:
				ev.Why[p] = "one of " + plural(len(ms), "entry point") + " a composition root wires that share their code"
			default:
				ev.Why[p] = "a service a composition root wires"
			}
		}
	}
}

// measureBuilds finds which entries reach each package, not counting what they reach through
// another entry, a root or a tool.
func (b *gatherer) measureBuilds() {
	n := len(b.g.Paths)
	stop := make([]bool, n)
	for i := range n {
		stop[i] = b.isEntry[i] >= 0 || b.wiring[i] || b.tool[i]
	}
	b.reach = make([][]int, n)
	for e, ms := range b.ev.members {
		seen := map[int]bool{}
		for _, p := range ms {
			for _, q := range b.s.reachFrom(p, stop) {
				if !seen[q] {
					seen[q] = true
					b.reach[q] = append(b.reach[q], e)
				}
			}
		}
	}
}

// mapTerritories finds each entry's directories: its own; where a service main's code lives
// (the directory above each package only it starts: cmd/orders starting orders/api owns
// orders/); where a component's code lives (the highest directory above it, or above the entry
// points it groups, that it owns: catalog/ above catalog/adapters/); and in a workspace the
// module holding the entry alone.
func (b *gatherer) mapTerritories(modules []string) {
	s, g, ev := b.s, b.g, b.ev
	ev.ownsTree = make([]bool, len(ev.Entries))
	b.territory = make([][]string, len(ev.Entries))
	for e, p := range ev.Entries {
		b.territory[e] = []string{g.Info[p].Dir}
	}
	owns := func(e int, dir string) bool {
		return s.ownsDirectory(e, dir, ev.members, b.serviceMains, b.tool, b.wiring)
	}
	for e, ms := range ev.members {
		p := ms[0]
		if g.Info[p].Main {
			for _, c := range s.ownImports(p, -1, b.serviceMains) {
				dir := path.Dir(g.Info[c].Dir)
				if dir != "." && dir != "" && !s.under(p, dir) && owns(e, dir) && !slices.Contains(b.territory[e], dir) {
					b.territory[e] = append(b.territory[e], dir)
				}
			}
			continue
		}
		dir := g.Info[p].Dir
		for _, q := range ms[1:] {
			dir = commonDir(dir, g.Info[q].Dir)
		}
		if len(ms) == 1 || slices.Contains(b.territory[e], dir) {
			dir = path.Dir(dir)
		}
		owned := ""
		for ; dir != "." && dir != "" && owns(e, dir); dir = path.Dir(dir) {
			owned = dir
		}
		if owned != "" {
			b.territory[e] = append(b.territory[e], owned)
		}
	}
	for _, dir := range modules {
		var in []int
		for e, p := range ev.Entries {
			if s.under(p, dir) {
				in = append(in, e)
			}
		}
		if len(in) == 1 {
			b.territory[in[0]] = append(b.territory[in[0]], dir)
		}
	}
}

// placeByTree gives each package below a territory to its entry (the nearest territory wins).
func (b *gatherer) placeByTree() {
	ev := b.ev
	for i := range b.g.Paths {
		if ev.of[i] != evUnplaced || b.tool[i] || b.wiring[i] {
			continue
		}
		best, bestDir := -1, ""
		for e, dirs := range b.territory {
			for _, d := range dirs {
				if b.s.under(i, d) && (best < 0 || len(d) > len(bestDir)) {
					best, bestDir = e, d
				}
			}
		}
		if best >= 0 {
			ev.of[i] = best
			ev.Why[i] = "below " + bestDir + "/, the directory of " + b.g.Paths[ev.Entries[best]] + "'s code"
			ev.ownsTree[best] = true
		}
	}
}

// placeByBuilds gives a package one entry builds to it, and one several build to the kernel.
func (b *gatherer) placeByBuilds() {
	ev := b.ev
	for i, r := range b.reach {
		if ev.of[i] != evUnplaced || b.tool[i] || b.wiring[i] {
			continue
		}
		switch len(r) {
		case 0:
		case 1:
			ev.of[i] = r[0]
			ev.Why[i] = "only " + b.g.Paths[ev.Entries[r[0]]] + " builds it"
		default:
			ev.of[i] = evKernel
			ev.Why[i] = "built by " + plural(len(r), "service") + ": shared kernel"
		}
	}
}

// placeToolsAndWiring marks the tools and the wiring, and gives them what only they use.
func (b *gatherer) placeToolsAndWiring() {
	s, ev := b.s, b.ev
	for i := range b.g.Paths {
		switch {
		case b.tool[i]:
			ev.of[i] = evTool
		case b.wiring[i]:
			ev.of[i] = evWiring
		}
	}
	for _, role := range []int{evTool, evWiring} {
		why := "used by the composition root only"
		if role == evTool {
			why = "used by tools only"
		}
		for changed := true; changed; {
			changed = false
			for i := range b.g.Paths {
				if ev.of[i] != evUnplaced || len(s.users[i]) == 0 {
					continue
				}
				if !slices.ContainsFunc(s.users[i], func(u int) bool { return ev.of[u] != role }) {
					ev.of[i], ev.Why[i] = role, why
					changed = true
				}
			}
		}
	}
}

// claimShared gives a package several entries build to one service when it is that service's
// own code used across a boundary rather than a library: it serves routes or owns tables (a
// library does neither), or one service holds most of its importers and it builds on that
// service's code. Packages are visited importers first, so a claim can support the next.
func (s *structure) claimShared(ev *Evidence, reach [][]int) {
	g := s.g
	order := s.topDown()
	for _, i := range order {
		if ev.of[i] != evKernel {
			continue
		}
		byEntry := map[int]float64{}
		total := 0.0
		for _, u := range s.users[i] {
			w := g.Adj[u][i]
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
		owns := (len(g.Routes[i]) > 0 || len(g.Tables[i]) > 0) && bestW >= ownerShare*total
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
			ev.Why[i] = "shared, but " + g.Paths[ev.Entries[best]] + "'s own code: "
			if owns {
				ev.Why[i] += "it serves routes or owns tables"
			} else {
				ev.Why[i] += "that service uses it most and it builds on that service"
			}
		}
	}
}

// RoleDecl is what carve.yaml declares about packages' roles (indexes into pkgGraph.paths).
type RoleDecl struct {
	Tool, Root, Main []bool
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// claimStubs gives generated API code to the service that implements its server: a generated
// package several services build (the server stub, and the client stub its callers use) whose
// interfaces are implemented by one service's packages only belongs to that service. A client
// package generated from the same spec (beside it in the directory tree, or importing it) goes
// with it.
func (s *structure) claimStubs(ev *Evidence) {
	g := s.g
	owner := make([]int, len(g.Paths))
	for i := range owner {
		owner[i] = evUnplaced
	}
	for i, info := range g.Info {
		if !info.Generated || ev.of[i] != evKernel {
			continue
		}
		impl := evUnplaced
		for from, to := range g.Impl {
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
			ev.Why[i] = "generated API code whose server " + g.Paths[ev.Entries[e]] + " implements"
		}
	}
	// Generated siblings and importers from the same spec (the client beside the server stub).
	for i, info := range g.Info {
		if !info.Generated || ev.of[i] != evKernel {
			continue
		}
		for _, j := range s.imports[i] {
			if e := owner[j]; e >= 0 && path.Dir(info.Dir) == path.Dir(g.Info[j].Dir) || e >= 0 && info.Dir == g.Info[j].Dir {
				ev.of[i] = e
				ev.Why[i] = "generated from the same spec as " + g.Paths[j]
				break
			}
		}
	}
}

package gen

import (
	"fmt"
	"math/rand/v2"
	"path"
	"slices"
	"sort"
	"strings"
)

// Layout features: Options.Layout is a comma-separated set of them ("mains,tools"). The empty
// layout is LayoutFlat, the generator's original layout.
const (
	// LayoutFlat puts every service package in a directory of its own at the module root (pNNN,
	// or service/role with Meaningful names) and one main, cmd/server, that mounts every service.
	LayoutFlat = "flat"
	// LayoutMains gives each service its own main, cmd/<service>, that mounts only that service's
	// entry packages, beside one composition root, cmd/all-in-one, that mounts them all (like
	// jaeger's cmd/agent, cmd/collector and cmd/all-in-one). A service main belongs to its service.
	LayoutMains = "mains"
	// LayoutWorkspace writes a go.work of one module per service (with its main, as LayoutMains),
	// one shared module, platform, holding the kernel packages, and a root module holding the
	// composition root and any tools. It implies LayoutMains.
	LayoutWorkspace = "workspace"
	// LayoutHexagonal lays each service out as a hexagonal context: <service>/adapters/http/public,
	// adapters/http/private, adapters/grpc and adapters/consumer (four entry points: public and
	// internal HTTP routes, RPC-style routes, message topics), adapters/postgres, app, ports and
	// domain, in that order of preference when a service has fewer packages. Dependencies point
	// inwards: entry adapters, then the postgres adapter, the application, ports, the domain.
	LayoutHexagonal = "hexagonal"
	// LayoutLayered lays the module out by layer: handlers/<service>, services/<service>,
	// repositories/<service>, models/<service>, events/<service>, clients/<service>, so that the
	// service split cuts across the directory tree.
	LayoutLayered = "layered"
	// LayoutGenerated gives each service generated API stubs, api/<service>pb (a "Code generated
	// ... DO NOT EDIT." file: a server interface, RegisterXServer(mux, srv) and a client type).
	// The service's RPC entry package (else its first) implements the server; half of the
	// couplings from other services into the service, chosen at random, go through the client
	// instead. The stub package belongs to the service that implements the server.
	LayoutGenerated = "generated"
	// LayoutTools adds tooling mains that are no service: tools/migrate, hack/checkroutes,
	// cmd/gen-fixtures (a code generator), test/e2e (a test harness mounting several services)
	// and examples/quickstart. They import service and kernel packages and are absent from the
	// truth.
	LayoutTools = "tools"
)

// layoutFeatures are the features in the order a layout is written in.
var layoutFeatures = []string{LayoutMains, LayoutWorkspace, LayoutHexagonal, LayoutLayered, LayoutGenerated, LayoutTools}

// LayoutFeatures returns the layout features Options.Layout combines.
func LayoutFeatures() []string { return slices.Clone(layoutFeatures) }

// tree is how service packages are placed in the directory tree.
type tree int

const (
	treeFlat tree = iota
	treeHexagonal
	treeLayered
)

// layout is Options.Layout parsed.
type layout struct {
	tree                               tree
	mains, workspace, generated, tools bool
}

// parseLayout parses a comma-separated set of layout features.
func parseLayout(s string) (layout, error) {
	var l layout
	for _, f := range strings.Split(s, ",") {
		switch strings.TrimSpace(f) {
		case "", LayoutFlat:
		case LayoutMains:
			l.mains = true
		case LayoutWorkspace:
			l.workspace, l.mains = true, true
		case LayoutHexagonal, LayoutLayered:
			t := treeHexagonal
			if strings.TrimSpace(f) == LayoutLayered {
				t = treeLayered
			}
			if l.tree != treeFlat && l.tree != t {
				return l, fmt.Errorf("layout %q: %s and %s are two trees; pick one", s, LayoutHexagonal, LayoutLayered)
			}
			l.tree = t
		case LayoutGenerated:
			l.generated = true
		case LayoutTools:
			l.tools = true
		default:
			return l, fmt.Errorf("layout %q: unknown feature %q (want %s or %s)", s, f, LayoutFlat, strings.Join(layoutFeatures, ", "))
		}
	}
	if l.workspace && l.tree == treeLayered {
		return l, fmt.Errorf("layout %q: a module per service cannot be layered across services", s)
	}
	return l, nil
}

// String is the layout in its normal form: its features in layoutFeatures order, or "flat".
func (l layout) String() string {
	on := map[string]bool{
		LayoutMains: l.mains && !l.workspace, LayoutWorkspace: l.workspace, LayoutHexagonal: l.tree == treeHexagonal,
		LayoutLayered: l.tree == treeLayered, LayoutGenerated: l.generated, LayoutTools: l.tools,
	}
	var fs []string
	for _, f := range layoutFeatures {
		if on[f] {
			fs = append(fs, f)
		}
	}
	if len(fs) == 0 {
		return LayoutFlat
	}
	return strings.Join(fs, ",")
}

// entryStyle is how an entry package is reached from outside the process.
type entryStyle int

const (
	entryNone     entryStyle = iota
	entryPublic              // public HTTP routes: /orders/{id}
	entryPrivate             // internal HTTP routes: /internal/orders/{id}
	entryRPC                 // RPC-style routes: /rpc/orders/{id}; implements the generated server
	entryConsumer            // message topics: orders.getorder
)

// routePrefix is what an HTTP entry style puts before the resource in its routes.
var routePrefix = map[entryStyle]string{entryPublic: "", entryPrivate: "/internal", entryRPC: "/rpc"}

// slot is a place for a service's package in a tree: its directory (below the service in a
// hexagonal context, the layer directory in a layered tree), whether it is an entry point, and
// its tier: a package imports only packages of its own tier or a higher one.
type slot struct {
	dir   string
	entry entryStyle
	tier  int
}

// Slots by tree, in the order a service's packages take them; packages beyond the list are
// extraSlot's.
var (
	flatSlots      = []slot{{"api", entryPublic, 0}}
	hexagonalSlots = []slot{
		{"adapters/http/public", entryPublic, 0}, {"app", entryNone, 2}, {"domain", entryNone, 4},
		{"adapters/postgres", entryNone, 1}, {"adapters/http/private", entryPrivate, 0},
		{"adapters/grpc", entryRPC, 0}, {"adapters/consumer", entryConsumer, 0}, {"ports", entryNone, 3},
	}
	layeredSlots = []slot{
		{"handlers", entryPublic, 0}, {"services", entryNone, 1}, {"repositories", entryNone, 2},
		{"models", entryNone, 3}, {"events", entryNone, 2}, {"clients", entryNone, 1},
	}
)

// slots returns the tree's slots.
func (l layout) slots() []slot {
	switch l.tree {
	case treeHexagonal:
		return hexagonalSlots
	case treeLayered:
		return layeredSlots
	}
	return flatSlots
}

// slot returns the place of a service's i-th package: extra packages are ordinary packages of
// the application's tier (below the application directory in a hexagonal context, below
// services/<service> in a layered tree).
func (l layout) slot(i int) slot {
	if s := l.slots(); i < len(s) {
		return s[i]
	}
	if l.tree == treeHexagonal {
		return slot{tier: hexagonalSlots[1].tier}
	}
	return slot{tier: 1}
}

// toolSpecs are the tooling mains LayoutTools adds: what they are and what they import.
var toolSpecs = []struct {
	dir, doc string
	harness  bool // mounts several services' entry packages, as a composition root would
}{
	{"tools/migrate", "Command migrate prepares the database for a local run.", false},
	{"hack/checkroutes", "Command checkroutes is a development check run by CI.", false},
	{"cmd/gen-fixtures", "Command gen-fixtures generates test fixtures from the services' figures.", false},
	{"test/e2e", "Command e2e is the end-to-end test harness: it mounts several services in one process.", true},
	{"examples/quickstart", "Command quickstart is an example of using one service's package.", false},
}

// place gives every package its directory, as the layout lays the tree out.
func (m *model) place() {
	l := m.layout
	switch {
	case l.tree == treeHexagonal:
		for _, svc := range m.services {
			extra := pickNames(m.rng, roleWords, max(0, len(svc.pkgs)-len(hexagonalSlots)), "")
			for i, p := range svc.pkgs {
				p.dir = svc.name + "/" + l.slot(i).dir
				if i >= len(hexagonalSlots) {
					p.dir = svc.name + "/app/" + extra[i-len(hexagonalSlots)]
				}
			}
		}
	case l.tree == treeLayered:
		for _, svc := range m.services {
			extra := pickNames(m.rng, roleWords, max(0, len(svc.pkgs)-len(layeredSlots)), "")
			for i, p := range svc.pkgs {
				p.dir = l.slot(i).dir + "/" + svc.name
				if i >= len(layeredSlots) {
					p.dir = "services/" + svc.name + "/" + extra[i-len(layeredSlots)]
				}
			}
		}
	case m.opts.Naming == Anonymous:
		named := append(m.servicePackages(), m.kernel...)
		width := max(3, len(fmt.Sprint(len(named)-1)))
		for i, n := range m.rng.Perm(len(named)) {
			named[i].dir = fmt.Sprintf("p%0*d", width, n)
			if l.workspace && named[i].service >= 0 {
				named[i].dir = m.services[named[i].service].name + "/" + named[i].dir
			} else if l.workspace {
				named[i].dir = "platform/" + named[i].dir
			}
		}
	default:
		for _, svc := range m.services {
			roles := pickNames(m.rng, roleWords, len(svc.pkgs)-1, "")
			for i, p := range svc.pkgs {
				r := "api"
				if i > 0 {
					r = roles[i-1]
				}
				p.dir = svc.name + "/" + r
			}
		}
	}
	if l.tree != treeFlat || m.opts.Naming == Meaningful {
		for _, p := range m.kernel {
			p.dir = "platform/" + pickNames(nil, kernelWords, p.kernel+1, "util")[p.kernel]
		}
	}
	m.main.dir = "cmd/server"
	if l.mains {
		m.main.dir = "cmd/all-in-one"
	}
	for _, svc := range m.services {
		within := ""
		if l.workspace {
			within = svc.name + "/"
		}
		if svc.main != nil {
			svc.main.dir = within + "cmd/" + svc.name
		}
		if svc.stub != nil {
			svc.stub.dir = within + "api/" + svc.name + "pb"
		}
	}
	for i, p := range m.tools {
		p.dir = toolSpecs[i].dir
	}
}

// moduleDirs are the directories holding a go.mod, relative to the root: "." alone, or in a
// workspace the root (composition root and tools), each service and the shared platform.
func (m *model) moduleDirs() []string {
	dirs := []string{"."}
	if !m.layout.workspace {
		return dirs
	}
	for _, svc := range m.services {
		dirs = append(dirs, topDir(svc.pkgs[0].dir))
	}
	if len(m.kernel) > 0 {
		dirs = append(dirs, topDir(m.kernel[0].dir))
	}
	return dirs
}

// topDir returns the first element of a slash-separated directory.
func topDir(dir string) string {
	if i := strings.Index(dir, "/"); i >= 0 {
		return dir[:i]
	}
	return dir
}

// blindStream seeds the random stream that draws neutral names, apart from the model's own
// stream so that a path-blind module holds the same code as its named twin.
const blindStream = 0x626c696e64

// blind renames every directory of the tree to a neutral token (dNN, the same token wherever a
// directory is an element of a path) and every package after its directory (pNN), keeping the
// tree's shape. File names are made neutral when rendered (see blindFiles).
func (m *model) blind() {
	seen := map[string]bool{}
	var dirs []string
	for _, p := range m.pkgs {
		for d := p.dir; d != "." && !seen[d]; d = path.Dir(d) {
			seen[d] = true
			dirs = append(dirs, d)
		}
	}
	sort.Strings(dirs)
	rng := rand.New(rand.NewPCG(m.opts.Seed, blindStream))
	token := map[string]int{}
	for i, n := range rng.Perm(len(dirs)) {
		token[dirs[i]] = n
	}
	rename := func(dir string) string {
		var parts []string
		for d := dir; d != "."; d = path.Dir(d) {
			parts = append(parts, fmt.Sprintf("d%d", token[d]))
		}
		slices.Reverse(parts)
		return strings.Join(parts, "/")
	}
	for _, p := range m.pkgs {
		if p.name != "main" {
			p.name = fmt.Sprintf("p%d", token[p.dir])
		}
		p.dir = rename(p.dir)
	}
}

// blindFiles renames the Go files of every directory f1.go, f2.go... in the order of their
// names.
func blindFiles(files []file) {
	byDir := map[string][]*file{}
	for i := range files {
		if strings.HasSuffix(files[i].path, ".go") {
			d := path.Dir(files[i].path)
			byDir[d] = append(byDir[d], &files[i])
		}
	}
	for d, fs := range byDir {
		sort.Slice(fs, func(i, j int) bool { return fs[i].path < fs[j].path })
		for i, f := range fs {
			f.path = path.Join(d, fmt.Sprintf("f%d.go", i+1))
		}
	}
}

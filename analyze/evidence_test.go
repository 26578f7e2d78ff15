package analyze

import (
	"strconv"
	"strings"
	"testing"

	"github.com/carve-dev/carve/analyze/evidence"
	"github.com/carve-dev/carve/analyze/facts"
	"github.com/carve-dev/carve/analyze/graph"
	"github.com/carve-dev/carve/analyze/internal/factstest"

	"github.com/carve-dev/carve/analyze/plan"
)

// layoutFacts builds a module whose services are told apart by structure, not by coupling:
// per service a main (cmd/<svc>) or a component (modules/<svc>) with its own packages below
// it, one shared library every service builds, a client package below a service's directory
// that another service uses, an all-in-one root, and tools. rename maps each path element to
// another (identity for the normal tree, neutral tokens for a path-blind one).
func layoutFacts(withMains bool, rename func(string) string) *facts.Facts {
	const m = "example.com/mono"
	p := func(rel string) string {
		var out []string
		for _, el := range strings.Split(rel, "/") {
			out = append(out, rename(el))
		}
		return m + "/" + strings.Join(out, "/")
	}
	b := factstest.New(m)
	svcs := []string{"alpha", "bravo", "charlie"}
	lib, log := p("pkg/lib"), p("pkg/log")
	b.Pkg(lib, 100).Pkg(log, 50)
	b.Use(lib, log, 1)
	root := p("cmd/all")
	b.Main(root)
	var tops []string
	for _, s := range svcs {
		top := p("modules/" + s)
		if withMains {
			top = p("cmd/" + s)
			b.Main(top)
		} else {
			b.Pkg(top, 300)
		}
		tops = append(tops, top)
		core, store, client := top+"/"+rename("core"), top+"/"+rename("store"), top+"/"+rename("client")
		b.Pkg(core, 200).Pkg(store, 150).Pkg(client, 40)
		b.Use(top, core, 4).Use(core, store, 3).Use(core, lib, 2).Use(store, log, 1).Use(client, log, 1)
		b.Table(store, s+"_items", facts.ReadWrite)
		b.Route(top, "GET", "/"+s+"/{id}")
		b.Use(root, top, 2)
	}
	// charlie calls alpha through alpha's client: the client stays alpha's.
	b.Use(tops[2]+"/"+rename("core"), tops[0]+"/"+rename("client"), 2)
	b.Use(root, lib, 1)
	// Tools: a generator below tools/ and a main that imports go/format.
	gen := p("tools/gen")
	b.Main(gen)
	b.Use(gen, lib, 1)
	fmtr := p("cmd/fmtr")
	b.Main(fmtr)
	b.Use(fmtr, log, 1)
	for i := range b.F.Packages {
		if b.F.Packages[i].Path == fmtr {
			b.F.Packages[i].Imports = append(b.F.Packages[i].Imports, "go/format")
		}
	}
	return b.F
}

func identity(s string) string { return s }

// blind renames every path element to a token that says nothing, as bench/pathblind does.
func blind() func(string) string {
	seen := map[string]string{}
	return func(s string) string {
		if t, ok := seen[s]; ok {
			return t
		}
		seen[s] = "d" + string(rune('a'+len(seen)))
		return seen[s]
	}
}

func proposeFacts(t *testing.T, f *facts.Facts) *plan.Plan {
	t.Helper()
	p, err := Propose(f, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// partition is a plan's placement with service names replaced by a canonical key (the
// smallest package path of each service), so that two plans compare by grouping only.
func partition(p *plan.Plan, rename map[string]string) map[string]string {
	first := map[string]string{}
	for _, pk := range p.Packages {
		if pk.Service != "" {
			if f, ok := first[pk.Service]; !ok || rename[pk.Path] < f {
				first[pk.Service] = rename[pk.Path]
			}
		}
	}
	out := map[string]string{}
	for _, pk := range p.Packages {
		switch {
		case pk.Kernel:
			out[rename[pk.Path]] = "kernel"
		case pk.Tool:
			out[rename[pk.Path]] = "tool"
		case pk.Wiring && pk.Service == "":
			out[rename[pk.Path]] = "wiring"
		default:
			out[rename[pk.Path]] = first[pk.Service]
		}
	}
	return out
}

func TestEvidenceServiceMainsAndRoot(t *testing.T) {
	for _, withMains := range []bool{true, false} {
		p := proposeFacts(t, layoutFacts(withMains, identity))
		const m = "example.com/mono/"
		top := "modules/"
		if withMains {
			top = "cmd/"
		}
		where := map[string]plan.Package{}
		for _, pk := range p.Packages {
			where[strings.TrimPrefix(pk.Path, m)] = pk
		}
		for _, s := range []string{"alpha", "bravo", "charlie"} {
			for _, sub := range []string{"", "/core", "/store", "/client"} {
				if got := where[top+s+sub].Service; got != s {
					t.Errorf("mains=%v: %s%s%s is in %q (%s), want service %s", withMains, top, s, sub, got, where[top+s+sub].Why, s)
				}
			}
		}
		for _, k := range []string{"pkg/lib", "pkg/log"} {
			if !where[k].Kernel {
				t.Errorf("mains=%v: %s is not kernel (service %q, %s)", withMains, k, where[k].Service, where[k].Why)
			}
		}
		if pk := where["cmd/all"]; !pk.Wiring || pk.Service != "" {
			t.Errorf("mains=%v: the all-in-one root is %+v, want wiring in no service", withMains, pk)
		}
		for _, tl := range []string{"tools/gen", "cmd/fmtr"} {
			if pk := where[tl]; !pk.Tool || pk.Service != "" {
				t.Errorf("mains=%v: %s is %+v, want a tool in no service", withMains, tl, pk)
			}
		}
		if len(p.Services) != 3 || len(p.Wiring) != 1 || len(p.Tools) != 2 {
			t.Errorf("mains=%v: %d services, wiring %v, tools %v; want 3, the root, the two tools", withMains, len(p.Services), p.Wiring, p.Tools)
		}
		if where[top+"alpha/client"].Why == "" {
			t.Errorf("mains=%v: a package placed by structure says no why", withMains)
		}
	}
}

// Only the tree's shape is read: renaming every path element gives the same partition (tools
// found by their imports still are; the one found by its tools/ directory becomes a service).
func TestEvidencePathBlind(t *testing.T) {
	rn := blind()
	normal := proposeFacts(t, layoutFacts(false, identity))
	blinded := proposeFacts(t, layoutFacts(false, rn))
	back := map[string]string{}
	same := map[string]string{}
	for _, pk := range normal.Packages {
		same[pk.Path] = pk.Path
		rel := strings.TrimPrefix(pk.Path, "example.com/mono/")
		var els []string
		for _, el := range strings.Split(rel, "/") {
			els = append(els, rn(el))
		}
		back["example.com/mono/"+strings.Join(els, "/")] = pk.Path
	}
	a, b := partition(normal, same), partition(blinded, back)
	for path, want := range a {
		if strings.Contains(path, "tools/gen") {
			continue
		}
		if b[path] != want {
			t.Errorf("path-blind: %s is %q, normal %q", path, b[path], want)
		}
	}
}

// A flat module (every package directly below the root) with one main importing every
// package gives no structure to trust: coupling decides, as before. The same module with its
// services in directories is trusted.
func TestEvidenceNotTrustedOnFlatTree(t *testing.T) {
	nested := shopFacts()
	to := map[string]string{}
	for i, p := range nested.Packages {
		to[p.Path] = "example.com/shop/p" + strconv.Itoa(i)
	}
	for name, f := range map[string]*facts.Facts{"flat": rename(nested, to), "nested": nested} {
		g, err := graph.Build(f, graph.DefaultSignals(), graph.DefaultContract)
		if err != nil {
			t.Fatal(err)
		}
		n := len(g.Paths)
		ev := evidence.Gather(g, evidence.RoleDecl{Tool: make([]bool, n), Root: make([]bool, n), Main: make([]bool, n)}, f.Modules)
		if got, want := ev.Trusted(g), name == "nested"; got != want {
			t.Errorf("%s: trusted %v, want %v (entries %v)", name, got, want, ev.Entries)
		}
	}
}

func TestEvidenceConfigRoles(t *testing.T) {
	f := layoutFacts(true, identity)
	cfg, err := ParseConfig("carve.yaml", []byte("tools: [example.com/mono/cmd/bravo]\nmains: [example.com/mono/cmd/fmtr]\n"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Propose(f, Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	for _, pk := range p.Packages {
		switch pk.Path {
		case "example.com/mono/cmd/bravo":
			if !pk.Tool {
				t.Errorf("cmd/bravo declared a tool is %+v", pk)
			}
		case "example.com/mono/cmd/fmtr":
			if pk.Tool || pk.Service == "" {
				t.Errorf("cmd/fmtr declared a service main is %+v", pk)
			}
		}
	}
	if _, err := ParseConfig("carve.yaml", []byte("tools: example.com/x\n")); err == nil {
		t.Error("tools given a scalar was accepted")
	}
}

func TestToolReason(t *testing.T) {
	cases := map[string]bool{
		"tools/gen": true, "hack/release": true, "examples/hotrod": true, "cmd/protoc-gen-x": true,
		"cmd/tempo-cli": true, "internal/e2e/runner": true, "cmd/docsgen": true,
		"cmd/collector": false, "cmd/query": false, "services/orders/cmd": false, ".": false,
	}
	for dir, want := range cases {
		if got := evidence.IsToolMain(facts.PackageInfo{Dir: dir, Main: true}); got != want {
			t.Errorf("isToolMain(%s) = %v, want %v (%s)", dir, got, want, evidence.ToolReason(facts.PackageInfo{Dir: dir}))
		}
	}
	if !evidence.IsToolMain(facts.PackageInfo{Dir: "cmd/x", Imports: []string{"net/http/httptest"}}) {
		t.Error("a main importing httptest is not a test harness")
	}
}

// Generated API code goes with the service that implements its server, though other services
// build it too (they use its client).
func TestEvidenceGeneratedStubs(t *testing.T) {
	f := layoutFacts(false, identity)
	const m = "example.com/mono/"
	stub := m + "api/alphapb"
	f.Packages = append(f.Packages, facts.PackageInfo{Path: stub, Name: "alphapb", Dir: stub, Files: 1, Lines: 400, Generated: true})
	b := &factstest.Builder{F: f}
	b.Use(m+"modules/alpha/core", stub, 1).Dep(m+"modules/alpha/core", stub, facts.SignalImplements, 1)
	b.Use(m+"modules/charlie/core", stub, 2).Use(m+"modules/bravo/core", stub, 1)
	p := proposeFacts(t, f)
	for _, pk := range p.Packages {
		if pk.Path == stub && pk.Service != "alpha" {
			t.Errorf("the stub alpha implements is in %q (kernel %v): %s", pk.Service, pk.Kernel, pk.Why)
		}
	}
	// Not generated, the same package is a shared contract: kernel.
	for i := range f.Packages {
		if f.Packages[i].Path == stub {
			f.Packages[i].Generated = false
		}
	}
	for _, pk := range proposeFacts(t, f).Packages {
		if pk.Path == stub && !pk.Kernel {
			t.Errorf("a hand-written package three services build is in %q, want kernel", pk.Service)
		}
	}
}

// In a workspace, a module holding one service main is that service's territory: its package
// another service also builds stays with its module.
func TestEvidenceWorkspaceModules(t *testing.T) {
	b := &factstest.Builder{F: &facts.Facts{Modules: []string{"example.com/lib", "example.com/svc1", "example.com/svc2"}, Root: "/src"}}
	add := func(path, dir string, main bool) {
		name := path[strings.LastIndex(path, "/")+1:]
		if main {
			name = "main"
		}
		b.F.Packages = append(b.F.Packages, facts.PackageInfo{Path: path, Name: name, Dir: dir, Main: main, Files: 1, Lines: 100})
	}
	add("example.com/lib/log", "lib/log", false)
	for _, s := range []string{"svc1", "svc2"} {
		add("example.com/"+s+"/cmd/"+s, s+"/cmd/"+s, true)
		add("example.com/"+s+"/internal/core", s+"/internal/core", false)
		add("example.com/"+s+"/model", s+"/model", false)
		b.Use("example.com/"+s+"/cmd/"+s, "example.com/"+s+"/internal/core", 3)
		b.Use("example.com/"+s+"/internal/core", "example.com/"+s+"/model", 2)
		b.Use("example.com/"+s+"/internal/core", "example.com/lib/log", 1)
	}
	b.Use("example.com/svc2/internal/core", "example.com/svc1/model", 1) // svc2 reads svc1's model
	p := proposeFacts(t, b.F)
	want := map[string]string{
		"example.com/svc1/model": "svc1", "example.com/svc2/model": "svc2",
		"example.com/svc1/internal/core": "svc1", "example.com/lib/log": "",
	}
	for _, pk := range p.Packages {
		if w, ok := want[pk.Path]; ok && pk.Service != w {
			t.Errorf("%s in %q (kernel %v, %s), want %q", pk.Path, pk.Service, pk.Kernel, pk.Why, w)
		}
	}
}

// A second root over the same services — a harness with a name that says nothing, mounting two
// services' entry packages beside the all-in-one main that mounts all four — is wiring too, not
// a fifth service: with the first root set aside, it starts what two service mains start.
func TestEvidenceSecondRootIsWiring(t *testing.T) {
	const m = "example.com/mono/"
	b := factstest.New("example.com/mono")
	b.Pkg(m+"lib", 100)
	b.Main(m + "cmd/all")
	svcs := []string{"alpha", "bravo", "charlie", "delta"}
	for _, s := range svcs {
		entry, core := m+s+"/api", m+s+"/core"
		b.Pkg(entry, 100).Pkg(core, 200)
		b.Use(entry, core, 3).Use(core, m+"lib", 1)
		b.Route(entry, "GET", "/"+s)
		b.Main(m + "cmd/" + s)
		b.Use(m+"cmd/"+s, entry, 1)
		b.Use(m+"cmd/all", entry, 1)
	}
	b.Main(m + "d7/d9")
	b.Use(m+"d7/d9", m+"alpha/api", 1).Use(m+"d7/d9", m+"bravo/api", 1)
	p := proposeFacts(t, b.F)
	where := map[string]plan.Package{}
	for _, pk := range p.Packages {
		where[strings.TrimPrefix(pk.Path, m)] = pk
	}
	for _, w := range []string{"cmd/all", "d7/d9"} {
		if pk := where[w]; !pk.Wiring || pk.Service != "" {
			t.Errorf("%s is %+v, want wiring in no service", w, pk)
		}
	}
	for _, s := range svcs {
		for _, sub := range []string{"/api", "/core"} {
			if got := where[s+sub].Service; got != s {
				t.Errorf("%s%s is in %q (%s), want %s", s, sub, got, where[s+sub].Why, s)
			}
		}
	}
	if len(p.Services) != len(svcs) {
		t.Errorf("%d services, want %d", len(p.Services), len(svcs))
	}
}

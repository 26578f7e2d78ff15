package gen

import (
	"go/parser"
	"go/token"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestParseLayout(t *testing.T) {
	for in, want := range map[string]string{
		"":                               LayoutFlat,
		"flat":                           LayoutFlat,
		"tools, mains":                   "mains,tools",
		"workspace,mains":                "workspace",
		"generated,hexagonal,workspace":  "workspace,hexagonal,generated",
		"layered,layered,tools,flat":     "layered,tools",
		"mains,layered,generated,tools,": "mains,layered,generated,tools",
	} {
		l, err := parseLayout(in)
		if err != nil || l.String() != want {
			t.Errorf("parseLayout(%q) = %s, %v; want %s", in, l, err, want)
		}
	}
	for _, in := range []string{"hexagonal,layered", "workspace,layered", "monorepo"} {
		if _, err := parseLayout(in); err == nil {
			t.Errorf("parseLayout(%q) accepted it", in)
		}
	}
	if _, err := Generate(t.TempDir(), Options{Layout: LayoutLayered, Naming: Anonymous}); err == nil {
		t.Error("Generate accepted anonymous names for a layered tree")
	}
}

// imported returns the module packages p imports, read from the files.
func imported(m measured, module, p string) []string {
	var out []string
	for q := range m.imports[p] {
		if strings.HasPrefix(q, module+"/") {
			out = append(out, q)
		}
	}
	slices.Sort(out)
	return out
}

func TestMainsMountTheirService(t *testing.T) {
	o := layoutOptions(Options{Layout: "mains,tools"}, 3)
	dir, res := generate(t, o)
	m := measure(t, dir, res)
	kernel := map[string]bool{}
	for _, k := range res.Kernel {
		kernel[k] = true
	}
	for s, main := range res.ServiceMains {
		for _, q := range imported(m, res.Module, main) {
			if !kernel[q] && !slices.Contains(res.EntryPoints[s], q) {
				t.Errorf("main of %s imports %s, neither its entry package nor kernel", s, q)
			}
		}
		if !strings.HasSuffix(main, "/cmd/"+s) {
			t.Errorf("main of %s is %s", s, main)
		}
	}
	if !strings.HasSuffix(res.Main, "/cmd/all-in-one") {
		t.Errorf("composition root is %s", res.Main)
	}
	for s, entries := range res.EntryPoints {
		for _, e := range entries {
			if !m.imports[res.Main][e] {
				t.Errorf("the composition root does not mount %s of %s", e, s)
			}
		}
	}
	// Tools use service or kernel packages; nothing uses a tool.
	for _, tool := range res.Tools {
		if len(imported(m, res.Module, tool)) == 0 {
			t.Errorf("tool %s imports no package of the module", tool)
		}
		for p := range m.imports {
			if m.imports[p][tool] {
				t.Errorf("%s imports tool %s", p, tool)
			}
		}
	}
}

func TestHexagonalContexts(t *testing.T) {
	o := layoutOptions(Options{Layout: LayoutHexagonal, PackagesPerService: len(hexagonalSlots) + 1}, 4)
	dir, res := generate(t, o)
	m := measure(t, dir, res)
	files := readTree(t, dir)
	for s, entries := range res.EntryPoints {
		if len(entries) != 4 {
			t.Errorf("%s has %d entry packages, want 4 (public, private, RPC, consumer)", s, len(entries))
		}
		var code strings.Builder
		for _, e := range entries {
			for rel, data := range files {
				if res.Module+"/"+path.Dir(rel) == e {
					code.Write(data)
				}
			}
		}
		for _, want := range []string{`"GET /`, `"GET /internal/`, `"GET /rpc/`, "func Subscribe("} {
			if !strings.Contains(code.String(), want) {
				t.Errorf("the entry packages of %s have no %s", s, want)
			}
		}
	}
	// Dependencies point inwards: domain imports no other layer of a context, ports only the
	// domain, the application no adapter.
	layer := func(p string) string {
		rel := strings.TrimPrefix(p, res.Module+"/")
		if _, ok := res.Truth[p]; !ok {
			return ""
		}
		return strings.Split(rel, "/")[1]
	}
	allowed := map[string][]string{"domain": {"domain"}, "ports": {"ports", "domain"}, "app": {"app", "ports", "domain"}}
	for p := range res.Truth {
		ok, inner := allowed[layer(p)]
		if !inner {
			continue
		}
		for _, q := range imported(m, res.Module, p) {
			if l := layer(q); l != "" && !slices.Contains(ok, l) {
				t.Errorf("%s (%s) imports %s (%s)", p, layer(p), q, l)
			}
		}
	}
}

func TestLayeredTreeCutsAcrossServices(t *testing.T) {
	o := layoutOptions(Options{Layout: LayoutLayered, PackagesPerService: len(layeredSlots)}, 2)
	_, res := generate(t, o)
	services := map[string]map[string]bool{} // layer → services with a package in it
	for p, s := range res.Truth {
		parts := strings.Split(strings.TrimPrefix(p, res.Module+"/"), "/")
		if parts[0] == "cmd" {
			continue
		}
		if parts[1] != s {
			t.Errorf("%s of %s is not in %s/%s", p, s, parts[0], s)
		}
		if services[parts[0]] == nil {
			services[parts[0]] = map[string]bool{}
		}
		services[parts[0]][s] = true
	}
	for _, sl := range layeredSlots {
		if len(services[sl.dir]) != o.Services {
			t.Errorf("layer %s holds %d services, want %d", sl.dir, len(services[sl.dir]), o.Services)
		}
	}
}

func TestGeneratedStubs(t *testing.T) {
	o := layoutOptions(Options{Layout: LayoutGenerated, Services: 5}, 6)
	dir, res := generate(t, o)
	m := measure(t, dir, res)
	generated := regexp.MustCompile(`(?m)^// Code generated .* DO NOT EDIT\.$`)
	clients := 0
	for s, stub := range res.Stubs {
		files, err := os.ReadDir(filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(stub, res.Module+"/"))))
		if err != nil || len(files) != 1 {
			t.Fatalf("stub %s: %v, %d files", stub, err, len(files))
		}
		name := filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(stub, res.Module+"/")), files[0].Name())
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, data, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		if !generated.Match(data) || !astIsGenerated(f.Comments[0].Text()) {
			t.Errorf("stub %s has no generated-code header", stub)
		}
		for _, want := range []string{"type " + apiNameOf(s) + "Server interface", "func Register" + apiNameOf(s) + "Server(mux *http.ServeMux", "type " + apiNameOf(s) + "Client struct"} {
			if !strings.Contains(string(data), want) {
				t.Errorf("stub %s lacks %q", stub, want)
			}
		}
		// The service's own packages import it only to implement the server; other services to
		// call the client.
		for p, ps := range res.Truth {
			if !m.imports[p][stub] {
				continue
			}
			if ps == s && !slices.Contains(res.EntryPoints[s], p) {
				t.Errorf("%s of %s imports its own stubs without serving them", p, s)
			}
			if ps != s {
				clients++
			}
		}
	}
	if clients == 0 {
		t.Error("no service calls another through its generated client")
	}
	if res.Stats.UnitsByKind[kindClient.String()] == 0 {
		t.Error("no client unit counted")
	}
}

// astIsGenerated says whether a comment is Go's generated-code marker (go/ast.IsGenerated reads
// it from the file; this is the rule it applies to a comment line).
func astIsGenerated(comment string) bool {
	return strings.HasPrefix(comment, "Code generated ") && strings.Contains(comment, " DO NOT EDIT.")
}

// apiNameOf is apiName for a service name.
func apiNameOf(s string) string { return apiName(&service{name: s}) }

func TestWorkspaceModules(t *testing.T) {
	o := layoutOptions(Options{Layout: "workspace,tools"}, 8)
	dir, res := generate(t, o)
	work, err := os.ReadFile(filepath.Join(dir, "go.work"))
	if err != nil {
		t.Fatal(err)
	}
	if want := o.Services + 2; len(res.Modules) != want { // services, platform, root
		t.Errorf("%d modules, want %d", len(res.Modules), want)
	}
	for _, mod := range res.Modules {
		rel := strings.TrimPrefix(strings.TrimPrefix(mod, res.Module), "/")
		if rel == "" {
			rel = "."
		}
		data, err := os.ReadFile(filepath.Join(dir, rel, "go.mod"))
		if err != nil || !strings.HasPrefix(string(data), "module "+mod+"\n") {
			t.Errorf("module %s: go.mod %q, %v", mod, data, err)
		}
		use := "./" + rel
		if rel == "." {
			use = "."
		}
		if !strings.Contains(string(work), "\t"+use+"\n") {
			t.Errorf("go.work does not use %s:\n%s", rel, work)
		}
	}
	for p, s := range res.Truth {
		if !strings.HasPrefix(p, res.Module+"/"+s+"/") {
			t.Errorf("%s of %s is outside the service's module", p, s)
		}
	}
	for _, k := range res.Kernel {
		if !strings.HasPrefix(k, res.Module+"/platform/") {
			t.Errorf("kernel package %s is outside the shared module", k)
		}
	}
}

func TestBlindKeepsShapeAndCode(t *testing.T) {
	o := layoutOptions(Options{Layout: "mains,hexagonal,generated,tools"}, 5)
	dir, res := generate(t, o)
	o.Blind = true
	blindDir, blind := generate(t, o)
	if res.Stats.Lines != blind.Stats.Lines || res.Stats.Files != blind.Stats.Files || res.Stats.Units != blind.Stats.Units || res.Stats.Routes != blind.Stats.Routes {
		t.Errorf("the blind twin differs in size: %+v, named %+v", blind.Stats, res.Stats)
	}
	if shape(t, dir) != shape(t, blindDir) {
		t.Error("the blind twin's directory tree has another shape")
	}
	sizes := func(truth map[string]string) []int {
		per := map[string]int{}
		for _, s := range truth {
			per[s]++
		}
		var out []int
		for _, n := range per {
			out = append(out, n)
		}
		slices.Sort(out)
		return out
	}
	if !slices.Equal(sizes(res.Labels()), sizes(blind.Labels())) {
		t.Error("the blind twin's truth groups differ")
	}
}

// shape describes a directory tree without its names: each directory as the sorted shapes of
// its subdirectories and its number of files.
func shape(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var subs []string
	files := 0
	for _, e := range entries {
		if e.IsDir() {
			subs = append(subs, shape(t, filepath.Join(dir, e.Name())))
		} else {
			files++
		}
	}
	slices.Sort(subs)
	return "(" + strings.Join(subs, "") + strings.Repeat(".", files) + ")"
}

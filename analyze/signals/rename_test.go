package signals

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/carve-dev/carve/analyze/facts"
	"github.com/carve-dev/carve/analyze/load"
)

// TestRenameInvariance copies the shop fixture with its packages moved to other directories
// (and so other import paths; package names stay, as Go allows), and checks that the facts are
// the same up to the renaming: no signal decides anything from a path or directory name.
// Long on purpose: its length is the list of renames and of the facts compared under them.
func TestRenameInvariance(t *testing.T) {
	renames := map[string]string{ // old directory → new directory, under the module root
		"orders":         "zz/q1",
		"ordersdb":       "a",
		"inventory":      "lib/x",
		"platform/store": "core",
		"cmd/shop":       "entry",
		"payments":       "n/m",
	}
	tmp := t.TempDir()
	copyTree(t, filepath.Join("testdata", "stubs"), filepath.Join(tmp, "stubs"))
	src := filepath.Join("testdata", "shop")
	dst := filepath.Join(tmp, "shop")
	mapDir := func(rel string) string {
		rel = filepath.ToSlash(rel)
		best := ""
		for old := range renames {
			if (rel == old || strings.HasPrefix(rel, old+"/")) && len(old) > len(best) {
				best = old
			}
		}
		if best == "" {
			return rel
		}
		return renames[best] + strings.TrimPrefix(rel, best)
	}
	mapPath := func(p string) string {
		const mod = "example.com/shop/"
		if !strings.HasPrefix(p, mod) {
			return p
		}
		return mod + mapDir(strings.TrimPrefix(p, mod))
	}
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		text := string(data)
		// Longest old paths first, so that "orders" does not rewrite "ordersdb".
		for _, old := range []string{"platform/store", "cmd/shop", "ordersdb", "inventory", "payments", "orders"} {
			text = strings.ReplaceAll(text, `"example.com/shop/`+old+`"`, `"example.com/shop/`+renames[old]+`"`)
		}
		out := filepath.Join(dst, filepath.FromSlash(mapDir(filepath.Dir(rel))), filepath.Base(rel))
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		return os.WriteFile(out, []byte(text), 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	m, err := load.Load(context.Background(), dst, load.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Collect(context.Background(), m, StandardSignals())
	if err != nil {
		t.Fatal(err)
	}
	orig, err := Collect(context.Background(), loadFixture(t, "shop"), StandardSignals())
	if err != nil {
		t.Fatal(err)
	}
	mapSite := func(s facts.Site) facts.Site {
		return facts.Site{File: mapDir(filepath.Dir(s.File)) + "/" + filepath.Base(s.File), Line: s.Line}
	}
	want := &facts.Facts{Modules: orig.Modules, Root: got.Root}
	for _, p := range orig.Packages {
		p.Path, p.Dir = mapPath(p.Path), mapDir(p.Dir)
		var imports []string
		for _, imp := range p.Imports {
			imports = append(imports, mapPath(imp))
		}
		slices.Sort(imports)
		p.Imports = imports
		want.Packages = append(want.Packages, p)
	}
	for _, d := range orig.Deps {
		d.From, d.To = mapPath(d.From), mapPath(d.To)
		d.Sites = append([]facts.Site(nil), d.Sites...)
		for i := range d.Sites {
			d.Sites[i] = mapSite(d.Sites[i])
		}
		want.Deps = append(want.Deps, d)
	}
	for _, u := range orig.Tables {
		u.Package = mapPath(u.Package)
		u.Sites = append([]facts.Site(nil), u.Sites...)
		for i := range u.Sites {
			u.Sites[i] = mapSite(u.Sites[i])
		}
		want.Tables = append(want.Tables, u)
	}
	for _, r := range orig.Routes {
		r.Package, r.Site = mapPath(r.Package), mapSite(r.Site)
		for old, nw := range map[string]string{"example.com/shop/orders.": "example.com/shop/zz/q1.", "example.com/shop/payments.": "example.com/shop/n/m.", "example.com/shop/cmd/shop.": "example.com/shop/entry."} {
			r.Handler = strings.Replace(r.Handler, old, nw, 1)
		}
		want.Routes = append(want.Routes, r)
	}
	sortFacts(want)
	// Sites are sorted by file; renaming can reorder them, so compare them as sets.
	for _, f := range []*facts.Facts{want, got} {
		for i := range f.Deps {
			sortSites(f.Deps[i].Sites)
		}
		for i := range f.Tables {
			sortSites(f.Tables[i].Sites)
		}
	}
	if !reflect.DeepEqual(want.Packages, got.Packages) {
		t.Errorf("packages differ:\n got %+v\nwant %+v", got.Packages, want.Packages)
	}
	if !reflect.DeepEqual(want.Deps, got.Deps) {
		t.Errorf("deps differ after renaming:\n got %+v\nwant %+v", got.Deps, want.Deps)
	}
	if !reflect.DeepEqual(want.Tables, got.Tables) {
		t.Errorf("tables differ:\n got %+v\nwant %+v", got.Tables, want.Tables)
	}
	if !reflect.DeepEqual(want.Routes, got.Routes) {
		t.Errorf("routes differ:\n got %+v\nwant %+v", got.Routes, want.Routes)
	}
}

func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		out := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(out, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(out, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

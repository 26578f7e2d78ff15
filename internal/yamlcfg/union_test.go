package yamlcfg

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// store is a union of two variants, as a registry of kinds would make it.
type store struct {
	kind string
	file *fileStore
	db   *dbStore
}

type fileStore struct {
	Path string `yaml:"path"`
	Sync bool   `yaml:"sync"`
}

type dbStore struct {
	Table string `yaml:"table"`
	Size  int    `yaml:"size"`
}

var storeVariants = map[string]reflect.Type{"file": reflect.TypeFor[*fileStore](), "database": reflect.TypeFor[*dbStore]()}

func (store) Variants() []string {
	names := make([]string, 0, len(storeVariants))
	for n := range storeVariants {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func (store) Variant(name string) (reflect.Type, bool) {
	t, ok := storeVariants[name]
	return t, ok
}

func (s *store) UnmarshalYAML(n *yaml.Node) error {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if isNull(n.Content[i+1]) {
			continue
		}
		s.kind = n.Content[i].Value
		switch s.kind {
		case "file":
			s.file = new(fileStore)
			if err := n.Content[i+1].Decode(s.file); err != nil {
				return err
			}
		case "database":
			s.db = new(dbStore)
			if err := n.Content[i+1].Decode(s.db); err != nil {
				return err
			}
		default:
			return fmt.Errorf("unknown store %q", s.kind)
		}
	}
	return nil
}

type app struct {
	Name   string  `yaml:"name"`
	Store  store   `yaml:"store"`
	Stores []store `yaml:"stores"`
}

func decodeApp(data string) (*app, *Doc) {
	var a app
	return &a, Decode("f.yaml", []byte(data), &a, Options{Docs: "docs/x.md"})
}

func TestUnionGood(t *testing.T) {
	a, doc := decodeApp("name: x\nstore:\n  database: {table: t, size: 3}\nstores: [{file: {path: p}}, {database: {table: u}}]\n")
	if err := doc.Err(); err != nil {
		t.Fatal(err)
	}
	if a.Store.kind != "database" || a.Store.db.Table != "t" || a.Store.db.Size != 3 || a.Stores[0].file.Path != "p" || a.Stores[1].db.Table != "u" {
		t.Fatalf("decoded %+v", a)
	}
	for _, data := range []string{"name: x\n", "name: x\nstore:\n", "name: x\nstore: {}\n", "name: x\nstore: {file: null}\n"} {
		a, doc := decodeApp(data)
		if err := doc.Err(); err != nil || a.Store.kind != "" {
			t.Errorf("%q: an empty union is left to the config's checks: err %v, kind %q", data, err, a.Store.kind)
		}
	}
}

// Each problem of a union names its line: an unknown variant lists the variants and suggests
// the nearest, a second variant is refused on the key holding the union, and the settings of a
// variant are checked as strictly as any struct.
func TestUnionProblems(t *testing.T) {
	for _, tc := range []struct{ name, data, want string }{
		{"unknown variant with suggestion", "store:\n  fille: {path: p}\n", `f.yaml:2: store: unknown key "fille": did you mean "file"? want one of database or file (see docs/x.md)`},
		{"unknown variant", "store: {kafka: {}}\n", `f.yaml:1: store: unknown key "kafka": want one of database or file (see docs/x.md)`},
		{"two variants", "name: x\nstore:\n  file: {path: p}\n  database: {table: t}\n", `f.yaml:2: store: set exactly one of database or file`},
		{"unknown key in a variant", "store:\n  database:\n    tabel: t\n", `f.yaml:3: store.database: unknown key "tabel": did you mean "table"? (see docs/x.md)`},
		{"wrong type in a variant", "store: {database: {size: big}}\n", `f.yaml:1: store.database.size: "big" is a string where an integer is expected`},
		{"variant not a mapping", "store: {file: p}\n", `f.yaml:1: store.file: "p" is a string where a mapping is expected`},
		{"union not a mapping", "store: [file]\n", `f.yaml:1: store: a list where a mapping is expected`},
		{"duplicate variant", "store:\n  file: {path: p}\n  file: {path: q}\n", `f.yaml:3: store: key "file" appears twice (first at line 2): keep one`},
		{"in a list", "stores:\n  - {file: {path: p}}\n  - {fil: {}}\n", `f.yaml:3: stores[1]: unknown key "fil": did you mean "file"?`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, doc := decodeApp(tc.data)
			err := doc.Err()
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("want one problem starting\n%s\ngot\n%v", tc.want, err)
			}
		})
	}
}

// A refused union (two variants) is reported once: the config's own check that one is set
// does not add "missing" on top, and the rest of the file is decoded and checked.
func TestUnionRefusedOnce(t *testing.T) {
	a, doc := decodeApp("name: x\nstore: {file: {path: p, bad: 1}, database: {table: t}}\n")
	if doc.Failed() || a.Name != "x" || a.Store.kind != "" {
		t.Fatalf("failed %v, decoded %+v", doc.Failed(), a)
	}
	doc.Add("store", "missing: set %s", Either(store{}.Variants()))
	want := `f.yaml:2: store.file: unknown key "bad": the keys here are path, sync (see docs/x.md)` + "\n" +
		`f.yaml:2: store: set exactly one of database or file`
	if got := doc.Err().Error(); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}

	// An unknown variant alone: its problem says what to set, "missing" would say it again.
	_, doc = decodeApp("store: {fil: {}}\nname: x\n")
	doc.Add("store", "missing: set %s", Either(store{}.Variants()))
	doc.Add("name", "taken")
	want = `f.yaml:1: store: unknown key "fil": did you mean "file"? want one of database or file (see docs/x.md)` + "\n" + `f.yaml:2: name: taken`
	if got := doc.Err().Error(); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestEither(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
	}{{nil, ""}, {[]string{"a"}, "a"}, {[]string{"a", "b"}, "a or b"}, {[]string{"a", "b", "c", "d"}, "a, b, c or d"}} {
		if got := Either(tc.in); got != tc.want {
			t.Errorf("Either(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

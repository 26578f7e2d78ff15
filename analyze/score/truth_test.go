package score

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseTruth(t *testing.T) {
	good := `{
  "example.com/shop/orders": "orders",
  "example.com/shop/orders/store": "orders",
  "example.com/shop/users": "users"
}`
	m, err := ParseTruth([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 3 || m["example.com/shop/orders/store"] != "orders" {
		t.Fatalf("got %v", m)
	}

	bad := []struct{ name, in, want string }{
		{"empty file", ``, "empty file"},
		{"empty object", `{}`, "the object is empty"},
		{"array", `["a"]`, "want a JSON object"},
		{"number value", "{\n  \"a/b\": 3\n}", `line 2, column 8: the value of "a/b" is the number 3; want a service name string`},
		{"object value", `{"a/b": {"x": 1}}`, `the value of "a/b" is an object`},
		{"null value", `{"a/b": null}`, `is null`},
		{"empty service", `{"a/b": ""}`, "empty service name"},
		{"duplicate key", `{"a/b": "x", "a/b": "y"}`, "appears twice"},
		{"syntax error", "{\n \"a/b\": \"x\",\n}", "not valid JSON at line 3"},
		{"trailing data", `{"a/b": "x"} {}`, "unexpected data after the object"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseTruth([]byte(c.in))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("ParseTruth(%q) = %v, want an error containing %q", c.in, err, c.want)
			}
		})
	}
}

func TestReadTruthNamesTheFile(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "truth.json")
	if err := os.WriteFile(name, []byte(`{"a": 1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadTruth(name)
	if err == nil || !strings.Contains(err.Error(), name) {
		t.Fatalf("ReadTruth = %v, want an error naming %s", err, name)
	}
	if _, err := ReadTruth(filepath.Join(dir, "missing.json")); err == nil || !strings.Contains(err.Error(), "read truth file") {
		t.Fatalf("ReadTruth of a missing file = %v", err)
	}
}

func FuzzParseTruth(f *testing.F) {
	f.Add([]byte(`{"a/b": "x"}`))
	f.Add([]byte(`{"a/b": 1}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseTruth(data)
		if err == nil && len(m) == 0 {
			t.Fatal("no error but an empty truth")
		}
	})
}

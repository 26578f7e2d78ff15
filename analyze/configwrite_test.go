package analyze

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// MergeConfig keeps comments and other keys, moves a placed package out of the pattern that
// held it and what it reads back is what was placed.
func TestMergeConfig(t *testing.T) {
	old := "# carve.yaml of the shop\nservices:\n  orders: [m/orders/...]  # the orders team\nsignals: {calls: 2}\n"
	where := map[string]string{"m/orders": "orders", "m/orders/api": "orders", "m/orders/pay": "payments", "m/log": ""}
	out, err := MergeConfig("carve.yaml", []byte(old), Placement{Pins: map[string]string{"m/orders/pay": "payments"}, Kernel: []string{"m/log"}}, where)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# carve.yaml of the shop", "# the orders team", "calls: 2", "- m/orders\n", "- m/orders/api\n", "payments:", "    - m/orders/pay\n", "kernel:\n  - m/log"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("merged file lacks %q:\n%s", want, out)
		}
	}
	c, err := ParseConfig("carve.yaml", out)
	if err != nil {
		t.Fatalf("the merged file does not load: %v", err)
	}
	if len(c.Services) != 2 || c.Services[1].Name != "payments" || c.Kernel[0].Path != "m/log" {
		t.Errorf("read back %+v", c)
	}
}

// What the reader refuses, the writer refuses too, naming the file and line, and the file on
// disk is left as it was.
func TestWriteConfigRefuses(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"two.yaml":     "kernel: [a/b]\n---\nkernel: [c/d]\n",
		"list.yaml":    "- a\n",
		"unknown.yaml": "colour: blue\n",
		"broken.yaml":  "services: {\n",
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		err := WriteConfig(path, Placement{Pins: map[string]string{"a": "b"}}, map[string]string{"a": "b"})
		if err == nil || !strings.Contains(err.Error(), path+":") {
			t.Errorf("%s: err = %v, want one naming %s:line", name, err, path)
		}
		if data, _ := os.ReadFile(path); string(data) != body {
			t.Errorf("%s: a refused write changed the file to %q", name, data)
		}
	}
}

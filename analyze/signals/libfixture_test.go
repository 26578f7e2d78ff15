package signals

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/carve-dev/carve/analyze/facts"
)

var update = flag.Bool("update", false, "rewrite the golden files of the fixtures (frameworks, data and messaging libraries)")

// libFixture loads testdata/<kind>/<name>, a module that requires a real library (nats.go,
// sqlx, gorm...), and runs signal s over it. The library comes from the module cache, filled by
// 'go mod download' here: on a fresh machine it needs the Go module proxy.
func libFixture(t *testing.T, kind, name string, s Signal) *facts.Facts {
	t.Helper()
	dir := filepath.Join("testdata", kind, name)
	cmd := exec.Command("go", "mod", "download")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("fixture %s needs its libraries: 'go mod download' in %s failed (is the Go module proxy reachable? GOPROXY=%s): %v\n%s", name, dir, os.Getenv("GOPROXY"), err, out)
	}
	m := loadFixture(t, filepath.Join(kind, name))
	for _, p := range m.Infos() {
		if len(p.Errors) > 0 {
			t.Fatalf("fixture %s: package %s does not load: %v", name, p.Path, p.Errors)
		}
	}
	return collect(t, filepath.Join(kind, name), s)
}

// checkGolden compares v, as indented JSON, with testdata/<kind>/<name>.golden.json; with
// -update it rewrites the file.
func checkGolden(t *testing.T, kind, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", kind, name+".golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run 'go test -update ./analyze/signals/' to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file %s (run with -update and check the diff):\n%s", name, path, got)
	}
}

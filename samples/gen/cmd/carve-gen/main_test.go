package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "synth")
	var out, errb bytes.Buffer
	if code := run([]string{"-k", "2", "-p", "3", "-mu", "0.2", "-kernel", "0", "-tables", "0", "-seed", "4", "-out", dir}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "7 packages (2 services × 3, 0 kernel, 1 main)") {
		t.Errorf("summary: %s", out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "truth.json")); err != nil {
		t.Error(err)
	}
	// The directory is not empty any more: a second run refuses to write into it.
	if code := run([]string{"-out", dir}, &out, &errb); code != 1 {
		t.Errorf("second run into %s: exit %d, want 1", dir, code)
	}
}

func TestRunUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"-h"}, &out, &errb); code != 0 || !strings.Contains(errb.String(), "-mu") {
		t.Errorf("run(-h) = %d, usage %q", code, errb.String())
	}
	for _, args := range [][]string{nil, {"-k", "x", "-out", "d"}, {"-out", "d", "extra"}} {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code != 2 {
			t.Errorf("run(%q) = %d, want 2", args, code)
		}
	}
}

func TestRunLayout(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "synth")
	var out, errb bytes.Buffer
	args := []string{"-k", "3", "-p", "4", "-lines", "10", "-layout", "tools,workspace", "-blind", "-q=false", "-out", dir}
	if code := run(args, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "3 service mains, 5 tools; layout workspace,tools") {
		t.Errorf("summary: %s", out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "go.work")); err != nil {
		t.Error(err)
	}
	truth, err := os.ReadFile(filepath.Join(dir, "truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(truth), `"shared"`) || strings.Contains(string(truth), "/cmd/") {
		t.Errorf("a blind truth with shared packages and no named path expected:\n%s", truth)
	}
	errb.Reset()
	if code := run([]string{"-layout", "hexagonal,layered", "-out", t.TempDir()}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "pick one") {
		t.Errorf("two trees: exit %d, %s", code, errb.String())
	}
}

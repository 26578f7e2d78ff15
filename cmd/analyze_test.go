package cmd

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func writeTinyModule(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"go.mod": "module example.com/tiny\n\ngo 1.22\n",
		"a/a.go": "package a\n\nfunc A() int { return 1 }\n",
		"b/b.go": "package b\n\nimport \"example.com/tiny/a\"\n\nfunc B() int { return a.A() }\n",
		"c/c.go": "package c\n\nimport \"example.com/tiny/b\"\n\nfunc C() int { return b.B() }\n",
	}
	for name, body := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// --out to a device or a pipe writes into it: renaming a temporary file over /dev/null would
// replace the device for the whole machine.
func TestAnalyzeOutToPipeKeepsThePipe(t *testing.T) {
	mod := writeTinyModule(t)
	fifo := filepath.Join(t.TempDir(), "plan.fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 1)
	go func() {
		f, err := os.Open(fifo)
		if err != nil {
			got <- err.Error()
			return
		}
		defer f.Close()
		b, _ := io.ReadAll(f)
		got <- string(b)
	}()
	var stderr bytes.Buffer
	if code := Main([]string{"analyze", mod, "-o", "json", "--out", fifo}, Streams{In: &bytes.Buffer{}, Out: io.Discard, Err: &stderr}); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	// Checked before reading: had the pipe been replaced, its reader would wait forever.
	fi, err := os.Lstat(fifo)
	if err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("--out replaced the named pipe: %v %v", fi.Mode(), err)
	}
	if out := <-got; !strings.Contains(out, `"schema": "carve.plan/v1"`) {
		t.Errorf("the pipe did not receive the plan: %q", out)
	}
}

// --out to a regular file replaces it whole, and leaves no temporary file behind.
func TestAnalyzeOutToFileIsAtomic(t *testing.T) {
	mod := writeTinyModule(t)
	outDir := t.TempDir()
	out := filepath.Join(outDir, "plan.json")
	if err := os.WriteFile(out, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	if code := Main([]string{"analyze", mod, "-o", "json", "--out", out}, Streams{In: &bytes.Buffer{}, Out: io.Discard, Err: &stderr}); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	b, _ := os.ReadFile(out)
	if !strings.HasPrefix(string(b), "{") {
		t.Errorf("plan.json = %q", b)
	}
	entries, _ := os.ReadDir(outDir)
	if len(entries) != 1 {
		t.Errorf("files left beside the plan: %v", entries)
	}
}

package signals

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/carve-dev/carve/analyze/facts"
	"github.com/carve-dev/carve/analyze/load"
	"github.com/carve-dev/carve/internal/atomicfile"

	"golang.org/x/mod/modfile"
)

// FactsCache keeps the facts of earlier runs (Load + Collect, the costly part of an analysis)
// keyed by everything they are derived from: the content of every Go file, go.mod, go.sum and
// go.work of the analysed modules and of the local directories their go.mod files replace
// modules with (vendored code included), the go command's version and build environment, the
// load options, the signals, and the carve binary itself. A changed byte anywhere in those is
// a different key, so a cached result is never stale; an analysis whose facts depend on
// anything else (the cochange signal reads git history) is not cached. As go vet caches its
// results per package, this makes a repeated analysis of an unchanged tree cost a directory
// walk plus the clustering.
type FactsCache struct {
	// Dir holds one file per key; the newest Keep entries are kept.
	Dir  string
	Keep int
}

// FactsKey returns the cache key of analysing dir with opts and signals, or "" when the facts
// cannot be cached (the cochange signal).
func FactsKey(ctx context.Context, dir string, opts load.LoadOptions, signals []Signal) (string, error) {
	if signals == nil {
		signals = StandardSignals()
	}
	h := sha256.New()
	fmt.Fprintf(h, "carve facts v1\n")
	for _, s := range signals {
		if s.Name() == facts.SignalCoChange {
			return "", nil
		}
		fmt.Fprintf(h, "signal %#v\n", s)
	}
	fmt.Fprintf(h, "tests %v\nenv %q\nflags %q\n", opts.Tests, opts.Env, opts.BuildFlags)
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("facts cache: find the carve binary: %w", err)
	}
	if err := hashFile(h, exe); err != nil {
		return "", fmt.Errorf("facts cache: %w", err)
	}
	root, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("facts cache: %w", err)
	}
	fmt.Fprintf(h, "root %s\n", root)
	m := &load.Module{Root: root}
	if _, err := m.FindModules(); err != nil {
		return "", err
	}
	// The go command's view: its version, target and flags (GOFLAGS carries build tags).
	cmd := exec.CommandContext(ctx, "go", "env", "GOVERSION", "GOOS", "GOARCH", "GOFLAGS", "CGO_ENABLED",
		"GOEXPERIMENT", "GOWORK", "GOAMD64", "GOARM64")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), opts.Env...)
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("facts cache: go env: %w", err)
	}
	fmt.Fprintf(h, "go env\n%s", out)

	for _, name := range []string{"go.work", "go.work.sum"} { // a workspace's own files
		if p := filepath.Join(root, name); fileExists(p) {
			fmt.Fprintf(h, "file %s\n", p)
			if err := hashFile(h, p); err != nil {
				return "", fmt.Errorf("facts cache: %w", err)
			}
		}
	}
	dirs := slices.Clone(m.Dirs)
	for i := 0; i < len(dirs); i++ { // replaced directories can replace further ones
		data, err := os.ReadFile(filepath.Join(dirs[i], "go.mod"))
		if err != nil {
			continue
		}
		mf, err := modfile.Parse("go.mod", data, nil)
		if err != nil {
			continue // go list reports it
		}
		for _, r := range mf.Replace {
			if r.New.Version != "" {
				continue // a module version: go.sum pins it
			}
			d := r.New.Path
			if !filepath.IsAbs(d) {
				d = filepath.Join(dirs[i], d)
			}
			if !slices.Contains(dirs, d) {
				dirs = append(dirs, d)
			}
		}
	}
	for _, d := range dirs {
		if err := hashTree(ctx, h, d); err != nil {
			return "", fmt.Errorf("facts cache: %w", err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// hashTree adds to h the name and content of every file under root that the go command reads
// for its packages (walkModule, vendor included): .go files, go.mod, go.sum, go.work,
// go.work.sum and vendor/modules.txt.
func hashTree(ctx context.Context, h io.Writer, root string) error {
	var files []string
	err := load.WalkModule(ctx, root, true, func(path, name string) {
		switch {
		case strings.HasSuffix(name, ".go"), name == "go.mod", name == "go.sum", name == "go.work",
			name == "go.work.sum", name == "modules.txt":
			files = append(files, path)
		}
	})
	if err != nil {
		return err
	}
	slices.Sort(files)
	for _, f := range files {
		fmt.Fprintf(h, "file %s\n", f)
		if err := hashFile(h, f); err != nil {
			return err
		}
	}
	return nil
}

func hashFile(h io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	n, err := io.Copy(h, f)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	fmt.Fprintf(h, "\n%d bytes\n", n)
	return nil
}

// Get returns the facts stored under key, or nil when there are none (or they cannot be read).
func (c *FactsCache) Get(key string) *facts.Facts {
	if c == nil || key == "" {
		return nil
	}
	data, err := os.ReadFile(filepath.Join(c.Dir, key+".facts"))
	if err != nil {
		return nil
	}
	var f facts.Facts
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&f); err != nil {
		return nil
	}
	now := time.Now()
	_ = os.Chtimes(filepath.Join(c.Dir, key+".facts"), now, now) // recently used: kept longest
	return &f
}

// Put stores f under key (atomically: a reader never sees half an entry) and trims the cache to
// its newest Keep entries.
func (c *FactsCache) Put(key string, f *facts.Facts) error {
	if c == nil || key == "" {
		return nil
	}
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return fmt.Errorf("facts cache: %w", err)
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(f); err != nil {
		return fmt.Errorf("facts cache: encode: %w", err)
	}
	if err := atomicfile.WriteBytes(filepath.Join(c.Dir, key+".facts"), buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("facts cache: %w", err)
	}
	c.trim()
	return nil
}

func (c *FactsCache) trim() {
	keep := c.Keep
	if keep <= 0 {
		keep = 16
	}
	ents, err := os.ReadDir(c.Dir)
	if err != nil {
		return
	}
	type entry struct {
		name string
		mod  int64
	}
	var es []entry
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".facts") {
			continue
		}
		if info, err := e.Info(); err == nil {
			es = append(es, entry{e.Name(), info.ModTime().UnixNano()})
		}
	}
	if len(es) <= keep {
		return
	}
	slices.SortFunc(es, func(a, b entry) int { return cmp.Compare(b.mod, a.mod) })
	for _, e := range es[keep:] {
		os.Remove(filepath.Join(c.Dir, e.name))
	}
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

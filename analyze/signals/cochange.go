package signals

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/carve-dev/carve/analyze/facts"
	"github.com/carve-dev/carve/analyze/load"
)

func init() { register(CoChange{}) }

// CoChange is the signal "packages A and B change in the same git commits", read from the
// history of the repository holding the module. It is symmetric: one Dep per pair, From < To,
// Count the number of shared commits. It is not run by default.
type CoChange struct {
	// MaxCommits bounds the history read (default 1000 most recent commits).
	MaxCommits int
	// MaxFiles skips commits touching more files (default 50): mass renames and reformatting
	// say nothing about coupling.
	MaxFiles int
	// MinShared drops pairs that share fewer commits (default 2).
	MinShared int
}

// Name returns SignalCoChange.
func (CoChange) Name() string { return facts.SignalCoChange }

// Doc describes the signal.
func (CoChange) Doc() string {
	return "packages changed in the same git commits (recent history, large commits skipped)"
}

// Weight is 0.25: commits that touch both packages hint at one team and one change cadence, but
// history is noisy (mass renames, formatting).
func (CoChange) Weight() float64 { return 0.25 }

// Undirected: two packages changed in one commit: neither need use the other.
func (CoChange) Undirected() bool { return true }

// OptIn is true: co-change reads the git history rather than the code, and runs only when
// --signals lists it.
func (CoChange) OptIn() bool { return true }

// Collect adds the co-change Deps. A module outside a git repository, or a machine without
// git, yields none.
func (c CoChange) Collect(ctx context.Context, m *load.Module, f *facts.Facts) error {
	c = c.withDefaults()
	top, err := gitOutput(ctx, m.Root, "rev-parse", "--show-toplevel")
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return nil // not a git repository, or no git: the signal has nothing to say
	}
	byDir := packageDirs(m, strings.TrimSpace(top))
	out, err := gitOutput(ctx, m.Root, "log", "--no-merges", "--no-renames", "--name-only", "--format=%x00%H",
		fmt.Sprintf("--max-count=%d", c.MaxCommits), "--", ".")
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, errNoCommits) {
			return nil
		}
		return fmt.Errorf("read git history of %s: %w", m.Root, err)
	}
	shared := map[[2]string]int{}
	for _, commit := range strings.Split(out, "\x00") {
		files := commitFiles(commit)
		if len(files) == 0 || len(files) > c.MaxFiles {
			continue
		}
		pkgs := changedPackages(files, byDir)
		for i := range pkgs {
			for j := i + 1; j < len(pkgs); j++ {
				shared[[2]string{pkgs[i], pkgs[j]}]++
			}
		}
	}
	c.emit(f, shared)
	return nil
}

// withDefaults fills the bounds left at zero.
func (c CoChange) withDefaults() CoChange {
	if c.MaxCommits <= 0 {
		c.MaxCommits = 1000
	}
	if c.MaxFiles <= 0 {
		c.MaxFiles = 50
	}
	if c.MinShared <= 0 {
		c.MinShared = 2
	}
	return c
}

// packageDirs maps the directories of the module's packages, relative to the repository root
// top, to their import paths.
func packageDirs(m *load.Module, top string) map[string]string {
	byDir := map[string]string{}
	for _, info := range m.Infos() {
		abs := filepath.Join(m.Root, filepath.FromSlash(info.Dir))
		rel, err := filepath.Rel(top, abs)
		if err != nil {
			continue
		}
		byDir[filepath.ToSlash(rel)] = info.Path
	}
	return byDir
}

// commitFiles returns the files of one commit of the log: the lines after its hash.
func commitFiles(commit string) []string {
	var files []string
	sc := bufio.NewScanner(strings.NewReader(commit))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	first := true
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if first { // the hash
			first = false
			continue
		}
		if line != "" {
			files = append(files, line)
		}
	}
	return files
}

// changedPackages returns the sorted packages whose Go files are among files.
func changedPackages(files []string, byDir map[string]string) []string {
	set := map[string]bool{}
	for _, file := range files {
		if !strings.HasSuffix(file, ".go") {
			continue
		}
		if pkg, ok := byDir[path.Dir(file)]; ok {
			set[pkg] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// emit appends one Dep per pair of packages sharing at least MinShared commits, sorted.
func (c CoChange) emit(f *facts.Facts, shared map[[2]string]int) {
	pairs := make([][2]string, 0, len(shared))
	for k, n := range shared {
		if n >= c.MinShared {
			pairs = append(pairs, k)
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i][0] != pairs[j][0] {
			return pairs[i][0] < pairs[j][0]
		}
		return pairs[i][1] < pairs[j][1]
	})
	for _, k := range pairs {
		f.Deps = append(f.Deps, facts.Dep{From: k[0], To: k[1], Signal: facts.SignalCoChange, Count: shared[k]})
	}
}

var errNoCommits = errors.New("no commits")

func gitOutput(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if strings.Contains(msg, "does not have any commits") {
			return "", errNoCommits
		}
		return "", fmt.Errorf("git %s: %w: %s", args[0], err, msg)
	}
	return stdout.String(), nil
}

package analyze

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/carve-dev/carve/internal/atomicfile"
	"github.com/carve-dev/carve/internal/yamlcfg"
)

// Placement is what a person placed by hand (in the TUI), to be kept as carve.yaml
// constraints: packages pinned to services, and packages marked kernel.
type Placement struct {
	// Pins maps a package to the service it is pinned to.
	Pins map[string]string
	// Kernel lists the packages marked kernel.
	Kernel []string
}

// WriteConfig merges pl into the carve.yaml at path (see MergeConfig), creating the file when
// missing, and writes it atomically. Nothing is written that ParseConfig refuses: the file is
// then left as it was.
func WriteConfig(path string, pl Placement, where map[string]string) error {
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read constraints: %w", err)
	}
	out, err := MergeConfig(path, data, pl, where)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(path, out, 0o644); err != nil {
		return fmt.Errorf("save constraints: %w", err)
	}
	return nil
}

// MergeConfig returns carve.yaml data (name is its path, for messages) with pl merged in: each
// pinned package is listed under its service in "services", each kernel package in "kernel",
// and removed from wherever else the file put it. A pattern ("example.com/shop/orders/...")
// that matched a package now placed elsewhere is replaced by the packages it still stands for,
// so the rest keep their constraint. A "together" or "apart" group that the new placement
// contradicts lets go of the placed package. where maps every package of the module to its
// service ("" for kernel). Every other key, and the comments, are kept.
func MergeConfig(name string, data []byte, pl Placement, where map[string]string) ([]byte, error) {
	e, err := editConfig(name, data, pl, where)
	if err != nil {
		return nil, err
	}
	for _, l := range e.lists() {
		e.unplace(l)
	}
	if err := releaseGroups(e.root, e.placed, where, e.all); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	e.place()
	e.prune()
	out, err := e.encode()
	if err != nil {
		return nil, err
	}
	// Never write what 'carve analyze' would refuse.
	if _, err := ParseConfig(name, out); err != nil {
		return nil, fmt.Errorf("the constraints would not load, %s is left as it was: %w", name, err)
	}
	return out, nil
}

// configEdit is carve.yaml being edited in place, as YAML nodes so that comments stay.
type configEdit struct {
	name             string
	pl               Placement
	doc              yaml.Node
	root             *yaml.Node
	services, kernel *yaml.Node
	// placed holds the packages pl places; all, every package of the module, in order.
	placed map[string]bool
	all    []string
}

func editConfig(name string, data []byte, pl Placement, where map[string]string) (*configEdit, error) {
	root, err := yamlcfg.Root(name, data)
	if err != nil {
		return nil, err
	}
	if root == nil || root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		root = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	}
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: carve.yaml must be a mapping of settings", name, root.Line)
	}
	e := &configEdit{name: name, pl: pl, root: root, placed: map[string]bool{}, all: slices.Sorted(maps.Keys(where))}
	e.doc = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}
	if e.services, err = mappingValue(root, "services", yaml.MappingNode); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if e.kernel, err = mappingValue(root, "kernel", yaml.SequenceNode); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	for i := 0; i+1 < len(e.services.Content); i += 2 {
		if e.services.Content[i+1].Kind != yaml.SequenceNode {
			return nil, fmt.Errorf("%s:%d: services.%s must be a list of packages", name, e.services.Content[i+1].Line, e.services.Content[i].Value)
		}
	}
	for p := range pl.Pins {
		e.placed[p] = true
	}
	for _, p := range pl.Kernel {
		e.placed[p] = true
	}
	return e, nil
}

// lists are the lists a package may be placed in: the kernel and every service's.
func (e *configEdit) lists() []*yaml.Node {
	out := []*yaml.Node{e.kernel}
	for i := 0; i+1 < len(e.services.Content); i += 2 {
		out = append(out, e.services.Content[i+1])
	}
	return out
}

// matching returns the packages pat stands for: itself for an import path, the module's
// packages it matches for a pattern ending in /...
func (e *configEdit) matching(pat string) []string {
	if !strings.HasSuffix(pat, "/...") {
		return []string{pat}
	}
	pt := Pattern{Path: pat}
	var out []string
	for _, p := range e.all {
		if pt.Match(p) {
			out = append(out, p)
		}
	}
	return out
}

// unplace takes the placed packages out of list l, replacing a pattern that matched one by
// the packages it still stands for.
func (e *configEdit) unplace(l *yaml.Node) {
	var kept []*yaml.Node
	for _, n := range l.Content {
		if !strings.HasSuffix(n.Value, "/...") {
			if !e.placed[n.Value] {
				kept = append(kept, n)
			}
			continue
		}
		matched := e.matching(n.Value)
		others := slices.DeleteFunc(slices.Clone(matched), func(p string) bool { return e.placed[p] })
		if len(others) == len(matched) {
			kept = append(kept, n)
			continue
		}
		for _, p := range others {
			kept = append(kept, scalar(p))
		}
	}
	l.Content = kept
	l.Style = 0 // block style: one package a line
}

// place adds the pins, service by service, and the kernel packages.
func (e *configEdit) place() {
	byService := map[string][]string{}
	for p, s := range e.pl.Pins {
		byService[s] = append(byService[s], p)
	}
	for _, s := range slices.Sorted(maps.Keys(byService)) {
		list := e.serviceList(s)
		for _, p := range slices.Sorted(slices.Values(byService[s])) {
			list.Content = append(list.Content, scalar(p))
		}
	}
	for _, p := range e.pl.Kernel {
		e.kernel.Content = append(e.kernel.Content, scalar(p))
	}
}

// serviceList returns the list of service s, adding it when missing.
func (e *configEdit) serviceList(s string) *yaml.Node {
	for i := 0; i+1 < len(e.services.Content); i += 2 {
		if e.services.Content[i].Value == s {
			return e.services.Content[i+1]
		}
	}
	list := &yaml.Node{Kind: yaml.SequenceNode}
	e.services.Content = append(e.services.Content, scalar(s), list)
	return list
}

// prune drops a service left with no package, and emptied keys: they would not load.
func (e *configEdit) prune() {
	var svcKept []*yaml.Node
	for i := 0; i+1 < len(e.services.Content); i += 2 {
		if len(e.services.Content[i+1].Content) > 0 {
			svcKept = append(svcKept, e.services.Content[i], e.services.Content[i+1])
		}
	}
	e.services.Content = svcKept
	var rootKept []*yaml.Node
	for i := 0; i+1 < len(e.root.Content); i += 2 {
		k, v := e.root.Content[i], e.root.Content[i+1]
		if (v == e.services || v == e.kernel || k.Value == "together" || k.Value == "apart") && len(v.Content) == 0 {
			continue
		}
		rootKept = append(rootKept, k, v)
	}
	e.root.Content = rootKept
}

func (e *configEdit) encode() ([]byte, error) {
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(&e.doc); err != nil {
		return nil, fmt.Errorf("encode constraints: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode constraints: %w", err)
	}
	return out.Bytes(), nil
}

func scalar(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: v} }

// releaseGroups takes the placed packages out of the "together" and "apart" groups their new
// place contradicts: together with a package in another service, apart from one in the same
// service, or any group for a kernel package (analyze refuses kernel packages in groups). A
// group left with fewer than two entries is dropped.
func releaseGroups(root *yaml.Node, placed map[string]bool, where map[string]string, all []string) error {
	e := &configEdit{placed: placed, all: all}
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, groups := root.Content[i].Value, root.Content[i+1]
		if key != "together" && key != "apart" {
			continue
		}
		if groups.Kind != yaml.SequenceNode {
			return fmt.Errorf("line %d: %q must be a list of lists of packages", groups.Line, key)
		}
		var keptGroups []*yaml.Node
		for _, g := range groups.Content {
			if g.Kind != yaml.SequenceNode {
				return fmt.Errorf("line %d: each %s entry must be a list of packages", g.Line, key)
			}
			g.Content = e.releaseGroup(key, g, where)
			if len(g.Content) >= 2 {
				keptGroups = append(keptGroups, g)
			}
		}
		groups.Content = keptGroups
	}
	return nil
}

// releaseGroup returns the entries of group g (of key together or apart) that the placement
// leaves standing: an entry holding a package that breaks the group is replaced by the
// packages it matches that do not.
func (e *configEdit) releaseGroup(key string, g *yaml.Node, where map[string]string) []*yaml.Node {
	var entries []*yaml.Node
	for i, n := range g.Content {
		ms := e.matching(n.Value)
		keep := slices.DeleteFunc(slices.Clone(ms), func(p string) bool { return e.breaks(key, g, i, p, where) })
		if len(keep) == len(ms) {
			entries = append(entries, n)
			continue
		}
		for _, p := range keep {
			entries = append(entries, scalar(p))
		}
	}
	return entries
}

// breaks reports whether placed package p, in entry i of group g, breaks the group: kernel,
// together with a package of another service, or apart from one of its own.
func (e *configEdit) breaks(key string, g *yaml.Node, i int, p string, where map[string]string) bool {
	svc, ok := where[p]
	if !ok || !e.placed[p] {
		return false
	}
	if svc == "" {
		return true
	}
	for j, other := range g.Content {
		for _, q := range e.matching(other.Value) {
			qs, known := where[q]
			if q == p || !known {
				continue
			}
			if key == "together" && qs != svc || key == "apart" && j != i && qs == svc {
				return true
			}
		}
	}
	return false
}

// mappingValue returns the value of key in the mapping m, adding an empty node of kind when the
// key is missing or null.
func mappingValue(m *yaml.Node, key string, kind yaml.Kind) (*yaml.Node, error) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value != key {
			continue
		}
		v := m.Content[i+1]
		if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
			*v = yaml.Node{Kind: kind}
		}
		if v.Kind != kind {
			want := "a mapping of service: [packages]"
			if kind == yaml.SequenceNode {
				want = "a list of packages"
			}
			return nil, fmt.Errorf("line %d: %q must be %s", v.Line, key, want)
		}
		return v, nil
	}
	v := &yaml.Node{Kind: kind}
	m.Content = append(m.Content, scalar(key), v)
	return v, nil
}

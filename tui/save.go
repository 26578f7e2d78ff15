package tui

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/carve-dev/carve/analyze"
	"github.com/carve-dev/carve/analyze/plan"
	"github.com/carve-dev/carve/internal/atomicfile"
)

// Save writes the session's plan to planPath and its edits as constraints to configPath (when
// not empty), each atomically: a crash leaves the old file, never half a new one.
func (s *Session) Save(planPath, configPath string) error {
	var buf bytes.Buffer
	if err := s.plan.Write(&buf); err != nil {
		return fmt.Errorf("encode plan: %w", err)
	}
	// What carve reads back must be what was written.
	if _, err := plan.Read(bytes.NewReader(buf.Bytes())); err != nil {
		return fmt.Errorf("plan would not read back: %w", err)
	}
	if err := atomicfile.WriteBytes(planPath, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("save plan: %w", err)
	}
	if configPath != "" {
		if err := WriteConstraints(configPath, s.Constraints(), s.where()); err != nil {
			return err
		}
	}
	s.Saved()
	return nil
}

// WriteConstraints merges c into the carve.yaml at path (the format of analyze.LoadConfig),
// creating the file when missing: each pinned package is listed under its service in
// "services", each kernel package in "kernel", and removed from wherever else the file put it.
// A pattern ("example.com/shop/orders/...") that matched a package now placed elsewhere is
// replaced by the packages it still stands for, so the rest keep their constraint. A "together"
// or "apart" group that the new placement contradicts lets go of the placed package. where maps
// every package of the module to its service ("" for kernel). Every other key, and the
// comments, are kept; nothing is written that analyze.ParseConfig refuses.
func WriteConstraints(path string, c Constraints, where map[string]string) error {
	all := make([]string, 0, len(where))
	for p := range where {
		all = append(all, p)
	}
	sort.Strings(all)
	var doc yaml.Node
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("read constraints: %w", err)
	default:
		if err := yaml.Unmarshal(data, &doc); err != nil {
			return fmt.Errorf("%s is not valid YAML: %w", path, err)
		}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 || doc.Content[0].Tag == "!!null" {
		doc = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode, Tag: "!!map"}}}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("%s:%d: carve.yaml must be a mapping of settings", path, root.Line)
	}
	services, err := mappingValue(root, "services", yaml.MappingNode)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	kernel, err := mappingValue(root, "kernel", yaml.SequenceNode)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}

	placed := map[string]bool{}
	for p := range c.Pins {
		placed[p] = true
	}
	for _, p := range c.Kernel {
		placed[p] = true
	}
	// Take the placed packages out of every list, expanding patterns that matched them.
	lists := []*yaml.Node{kernel}
	for i := 0; i+1 < len(services.Content); i += 2 {
		if services.Content[i+1].Kind != yaml.SequenceNode {
			return fmt.Errorf("%s:%d: services.%s must be a list of packages", path, services.Content[i+1].Line, services.Content[i].Value)
		}
		lists = append(lists, services.Content[i+1])
	}
	for _, l := range lists {
		var kept []*yaml.Node
		for _, n := range l.Content {
			pat := n.Value
			prefix, isPattern := strings.CutSuffix(pat, "/...")
			switch {
			case !isPattern && placed[pat]:
			case !isPattern:
				kept = append(kept, n)
			default:
				var matched, others []string
				for _, p := range all {
					if p == prefix || strings.HasPrefix(p, prefix+"/") {
						matched = append(matched, p)
						if !placed[p] {
							others = append(others, p)
						}
					}
				}
				if len(others) == len(matched) {
					kept = append(kept, n)
					continue
				}
				for _, p := range others {
					kept = append(kept, &yaml.Node{Kind: yaml.ScalarNode, Value: p})
				}
			}
		}
		l.Content = kept
		l.Style = 0 // block style: one package a line
	}
	if err := releaseGroups(root, placed, where, all); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	// Add the pins, service by service, and the kernel packages.
	byService := map[string][]string{}
	for p, s := range c.Pins {
		byService[s] = append(byService[s], p)
	}
	names := make([]string, 0, len(byService))
	for s := range byService {
		names = append(names, s)
	}
	sort.Strings(names)
	for _, s := range names {
		pkgs := byService[s]
		sort.Strings(pkgs)
		var list *yaml.Node
		for i := 0; i+1 < len(services.Content); i += 2 {
			if services.Content[i].Value == s {
				list = services.Content[i+1]
			}
		}
		if list == nil {
			list = &yaml.Node{Kind: yaml.SequenceNode}
			services.Content = append(services.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: s}, list)
		}
		for _, p := range pkgs {
			list.Content = append(list.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: p})
		}
	}
	for _, p := range c.Kernel {
		kernel.Content = append(kernel.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: p})
	}
	// A service left with no package, and empty keys, would not load: drop them.
	var svcKept []*yaml.Node
	for i := 0; i+1 < len(services.Content); i += 2 {
		if len(services.Content[i+1].Content) > 0 {
			svcKept = append(svcKept, services.Content[i], services.Content[i+1])
		}
	}
	services.Content = svcKept
	var rootKept []*yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if (v == services || v == kernel || k.Value == "together" || k.Value == "apart") && len(v.Content) == 0 {
			continue
		}
		rootKept = append(rootKept, k, v)
	}
	root.Content = rootKept

	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return fmt.Errorf("encode constraints: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("encode constraints: %w", err)
	}
	// Never write what 'carve analyze' would refuse.
	if _, err := analyze.ParseConfig(path, out.Bytes()); err != nil {
		return fmt.Errorf("the constraints would not load, %s is left as it was: %w", path, err)
	}
	if err := atomicfile.WriteBytes(path, out.Bytes(), 0o644); err != nil {
		return fmt.Errorf("save constraints: %w", err)
	}
	return nil
}

// releaseGroups takes the placed packages out of the "together" and "apart" groups their new
// place contradicts: together with a package in another service, apart from one in the same
// service, or any group for a kernel package (analyze refuses kernel packages in groups). A
// group left with fewer than two entries is dropped.
func releaseGroups(root *yaml.Node, placed map[string]bool, where map[string]string, all []string) error {
	matches := func(pat string) []string {
		prefix, isPattern := strings.CutSuffix(pat, "/...")
		if !isPattern {
			return []string{pat}
		}
		var out []string
		for _, p := range all {
			if p == prefix || strings.HasPrefix(p, prefix+"/") {
				out = append(out, p)
			}
		}
		return out
	}
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
			// conflicts reports whether package p, in entry e of the group, breaks the group.
			conflicts := func(p string, e int) bool {
				svc, ok := where[p]
				if !ok || !placed[p] {
					return false
				}
				if svc == "" {
					return true
				}
				for j, other := range g.Content {
					for _, q := range matches(other.Value) {
						if q == p {
							continue
						}
						qs, known := where[q]
						if !known {
							continue
						}
						if key == "together" && qs != svc || key == "apart" && j != e && qs == svc {
							return true
						}
					}
				}
				return false
			}
			var entries []*yaml.Node
			for e, n := range g.Content {
				ms := matches(n.Value)
				var keep []string
				dropped := false
				for _, p := range ms {
					if conflicts(p, e) {
						dropped = true
						continue
					}
					keep = append(keep, p)
				}
				switch {
				case !dropped:
					entries = append(entries, n)
				default:
					for _, p := range keep {
						entries = append(entries, &yaml.Node{Kind: yaml.ScalarNode, Value: p})
					}
				}
			}
			g.Content = entries
			if len(entries) >= 2 {
				keptGroups = append(keptGroups, g)
			}
		}
		groups.Content = keptGroups
	}
	return nil
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
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, v)
	return v, nil
}

package tui

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"go.yaml.in/yaml/v3"

	"github.com/carve-dev/carve/analyze/plan"
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
	if err := writeAtomic(planPath, buf.Bytes()); err != nil {
		return fmt.Errorf("save plan: %w", err)
	}
	if configPath != "" {
		if err := WriteConstraints(configPath, s.Constraints()); err != nil {
			return err
		}
	}
	s.Saved()
	return nil
}

// WriteConstraints merges c into the carve.yaml at path, creating it when missing: the "pin"
// mapping (package: service) gains or updates c's pins and the "kernel" list gains c's kernel
// packages; a pin of a package now in the kernel is dropped. Every other key, and the comments,
// are kept as they were.
func WriteConstraints(path string, c Constraints) error {
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
	if doc.Kind == 0 {
		doc = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode, Tag: "!!map"}}}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("%s:%d: carve.yaml must be a mapping of settings", path, root.Line)
	}

	pins, err := mappingValue(root, "pin", yaml.MappingNode)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	kernel, err := mappingValue(root, "kernel", yaml.SequenceNode)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	inKernel := map[string]bool{}
	for _, n := range kernel.Content {
		inKernel[n.Value] = true
	}
	for _, k := range c.Kernel {
		if !inKernel[k] {
			kernel.Content = append(kernel.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k})
			inKernel[k] = true
		}
	}
	// Drop pins of kernel packages, then set c's pins, in a stable order.
	kept := pins.Content[:0]
	for i := 0; i+1 < len(pins.Content); i += 2 {
		if !inKernel[pins.Content[i].Value] {
			kept = append(kept, pins.Content[i], pins.Content[i+1])
		}
	}
	pins.Content = kept
	paths := make([]string, 0, len(c.Pins))
	for p := range c.Pins {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		set := false
		for i := 0; i+1 < len(pins.Content); i += 2 {
			if pins.Content[i].Value == p {
				pins.Content[i+1].Value = c.Pins[p]
				set = true
			}
		}
		if !set {
			pins.Content = append(pins.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: p}, &yaml.Node{Kind: yaml.ScalarNode, Value: c.Pins[p]})
		}
	}

	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return fmt.Errorf("encode constraints: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("encode constraints: %w", err)
	}
	if err := writeAtomic(path, out.Bytes()); err != nil {
		return fmt.Errorf("save constraints: %w", err)
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
			want := "a mapping of package: service"
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

// writeAtomic writes data to a temporary file next to path and renames it over path.
func writeAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

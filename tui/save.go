package tui

import (
	"bytes"
	"fmt"

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

// WriteConstraints merges c into the carve.yaml at path, creating it when missing; where maps
// every package of the module to its service ("" for kernel). The writer lives beside its
// reader: see analyze.MergeConfig for what is kept, moved and released.
func WriteConstraints(path string, c Constraints, where map[string]string) error {
	return analyze.WriteConfig(path, analyze.Placement{Pins: c.Pins, Kernel: c.Kernel}, where)
}

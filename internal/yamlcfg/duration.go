package yamlcfg

import (
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"
)

// Duration is a time.Duration written in YAML as a Go duration string: "500ms", "10s", "1m30s".
// A negative duration, or a bare number without its unit, is refused.
type Duration struct{ time.Duration }

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return d.Duration }

// UnmarshalYAML parses a duration string; null leaves 0.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		d.Duration = 0
		return nil
	}
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("%s where a duration such as 500ms or 10s is expected", describe(n))
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil || v < 0 {
		return fmt.Errorf("bad duration %q: write a non-negative duration with its unit, such as 500ms, 10s or 1m30s", n.Value)
	}
	d.Duration = v
	return nil
}

// MarshalYAML writes the duration as a string such as "1m30s".
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

package analyze

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carve-dev/carve/analyze/load"
	"github.com/carve-dev/carve/analyze/signals"
)

// The README's example carve.yaml must work on the README's own sample, samples/shop.
func TestReadmeConfigFitsTheSample(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), "`carve.yaml` (read from DIR")
	if !ok {
		t.Fatal("README: the carve.yaml section is gone; keep this test pointing at its example")
	}
	_, block, ok := strings.Cut(after, "```yaml\n")
	block, _, ok2 := strings.Cut(block, "```")
	if !ok || !ok2 {
		t.Fatal("README: no yaml block after the carve.yaml section's heading")
	}
	cfg, err := ParseConfig("README.md", []byte(block))
	if err != nil {
		t.Fatalf("the README's carve.yaml does not parse: %v", err)
	}
	m, err := load.Load(context.Background(), filepath.Join("..", "samples", "shop"), load.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := signals.Collect(context.Background(), m, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Propose(f, Options{Config: cfg})
	if err != nil {
		t.Fatalf("the README's carve.yaml does not fit samples/shop: %v", err)
	}
	if p.Service("orders") == nil {
		t.Errorf("the pinned service orders is missing: %v", p.ServiceNames())
	}
}

package tui

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carve-dev/carve/analyze/plan"
)

// TestTmux runs testdata/tmux_test.sh: the real binary in a real terminal (tmux), keys sent as
// a user types them. It then checks what the TUI saved.
func TestTmux(t *testing.T) {
	repo, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	cmd := exec.Command("bash", filepath.Join("testdata", "tmux_test.sh"), repo, work)
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("tmux_test.sh: %v", err)
	}
	p, err := plan.ReadFile(filepath.Join(work, "plan.json"))
	if err != nil {
		t.Fatalf("the saved plan does not read: %v", err)
	}
	if got := serviceOf(p, pkgCart); got != "catalog" {
		t.Errorf("saved plan has cart in %s, want catalog", got)
	}
	if s := p.Service("catalog"); s == nil || !contains(s.Packages, pkgCart) || len(s.Routes) != 3 {
		t.Errorf("saved catalog service = %+v", s)
	}
	cfg, err := os.ReadFile(filepath.Join(work, "carve.yaml"))
	if err != nil {
		t.Fatalf("no carve.yaml beside the plan: %v", err)
	}
	if !strings.Contains(string(cfg), "catalog:\n    - example.com/shop/cart\n") {
		t.Errorf("carve.yaml does not pin cart to catalog:\n%s", cfg)
	}
	// The module session quit without editing: it saved nothing.
	if _, err := os.Stat(filepath.Join(work, "tiny.json")); err == nil {
		t.Error("quitting an unedited session wrote a plan")
	}
}

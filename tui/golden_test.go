package tui

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"
)

// TestGoldenViews runs the TUI as a program at 80×24 (teatest), drives it with keys, and
// compares the final screen with testdata/TestGoldenViews/<view>.golden. Regenerate with
// go test ./tui -run TestGoldenViews -update.
func TestGoldenViews(t *testing.T) {
	cases := []struct {
		name  string
		color bool
		keys  []string
		typed string
	}{
		{name: "services"},
		{name: "services_sorted", keys: []string{"s", "s", "s", "s", "s"}},
		{name: "service", keys: []string{"j", "enter"}},
		{name: "service_routes", keys: []string{"j", "enter", "l"}},
		{name: "service_depends_on", keys: []string{"j", "enter", "l", "l", "l"}},
		{name: "package", keys: []string{"j", "enter", "j", "j", "enter"}},
		{name: "package_misplaced", keys: []string{"tab", "j", "j", "m", "j", "enter", "enter"}},
		{name: "packages", keys: []string{"tab"}},
		{name: "shared_tables", keys: []string{"tab", "tab"}},
		{name: "kernel", keys: []string{"tab", "tab", "tab"}},
		{name: "picker", keys: []string{"tab", "j", "j", "j", "j", "j", "j", "m"}},
		{name: "after_move", keys: []string{"tab", "j", "j", "j", "j", "j", "j", "m", "enter", "shift+tab"}},
		{name: "split_prompt", keys: []string{"j", "enter", "space", "x"}},
		{name: "filter", keys: []string{"tab", "/"}, typed: "store"},
		{name: "help", keys: []string{"?"}},
		{name: "services_color", color: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := New(Options{Plan: readFixture(t), Color: c.color, PlanPath: filepath.Join(t.TempDir(), "plan.json")})
			if err != nil {
				t.Fatal(err)
			}
			tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(80, 24))
			for _, k := range c.keys {
				tm.Send(keyMsg(k))
			}
			if c.typed != "" {
				tm.Type(c.typed)
			}
			// Messages are handled in order: every key above is in before the program quits.
			if err := tm.Quit(); err != nil {
				t.Fatal(err)
			}
			final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
			screen := final.View().Content
			if !c.color {
				screen = ansi.Strip(screen)
			}
			if lines := strings.Split(screen, "\n"); len(lines) != 24 {
				t.Fatalf("%d lines, want 24", len(lines))
			}
			golden.RequireEqual(t, screen+"\n")
		})
	}
}

// TestProgramOutput checks what reaches the terminal: the alternate screen and mouse
// reporting are switched on, and nothing but the UI is written.
func TestProgramOutput(t *testing.T) {
	m, err := New(Options{Plan: readFixture(t), PlanPath: filepath.Join(t.TempDir(), "plan.json")})
	if err != nil {
		t.Fatal(err)
	}
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(80, 24))
	var seen []byte // WaitFor consumes what it reads
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		seen = append(seen[:0], b...)
		return strings.Contains(string(b), "catalog") && strings.Contains(string(b), "q quit")
	}, teatest.WithDuration(5*time.Second))
	tm.Send(keyMsg("q"))
	out := string(seen) + string(readAll(t, tm.FinalOutput(t, teatest.WithFinalTimeout(5*time.Second))))
	for _, seq := range []string{"\x1b[?1049h", "\x1b[?1002h"} { // alt screen, cell-motion mouse
		if !strings.Contains(out, seq) {
			t.Errorf("output lacks %q", seq)
		}
	}
	if !tm.FinalModel(t).(*Model).quitting {
		t.Error("q did not end the program")
	}
	// Nothing but escape sequences and the screen: no log line, no stray text.
	for _, bad := range []string{"level=", "time=", "panic", "error"} {
		if strings.Contains(out, bad) {
			t.Errorf("output contains %q", bad)
		}
	}
}

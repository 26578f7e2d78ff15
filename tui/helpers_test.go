package tui

import (
	"io"
	"path/filepath"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// keyMsg turns a key name as bubbles writes it ("j", "enter", "ctrl+r", "shift+tab") into the
// message the terminal would send.
func keyMsg(s string) tea.KeyPressMsg {
	special := map[string]rune{
		"enter": tea.KeyEnter, "esc": tea.KeyEscape, "tab": tea.KeyTab, "space": tea.KeySpace,
		"up": tea.KeyUp, "down": tea.KeyDown, "left": tea.KeyLeft, "right": tea.KeyRight,
		"backspace": tea.KeyBackspace, "pgdown": tea.KeyPgDown, "pgup": tea.KeyPgUp, "home": tea.KeyHome, "end": tea.KeyEnd,
	}
	var mod tea.KeyMod
	name := s
	if rest, ok := strings.CutPrefix(s, "ctrl+"); ok {
		mod, name = tea.ModCtrl, rest
	}
	if rest, ok := strings.CutPrefix(s, "shift+"); ok {
		mod, name = tea.ModShift, rest
	}
	if code, ok := special[name]; ok {
		k := tea.KeyPressMsg{Code: code, Mod: mod}
		if code == tea.KeySpace {
			k.Text = " "
		}
		return k
	}
	r := []rune(name)[0]
	if mod != 0 {
		return tea.KeyPressMsg{Code: r, Mod: mod}
	}
	return tea.KeyPressMsg{Code: r, Text: name}
}

// harness drives a Model through Update as bubbletea would, without a terminal.
type harness struct {
	t        *testing.T
	m        *Model
	planPath string
	cfgPath  string
	quit     bool
}

func newHarness(t *testing.T, w, h int) *harness {
	t.Helper()
	dir := t.TempDir()
	hs := &harness{t: t, planPath: filepath.Join(dir, "plan.json"), cfgPath: filepath.Join(dir, "carve.yaml")}
	m, err := New(Options{Plan: readFixture(t), PlanPath: hs.planPath, ConfigPath: hs.cfgPath})
	if err != nil {
		t.Fatal(err)
	}
	hs.m = m
	hs.send(tea.WindowSizeMsg{Width: w, Height: h})
	return hs
}

// send delivers msg and reports whether the model asked to quit.
func (h *harness) send(msg tea.Msg) *harness {
	h.t.Helper()
	h.m.Update(msg)
	h.m.View() // bubbletea renders after every update; lists learn their height there
	h.quit = h.m.quitting
	return h
}

// keys presses each key in turn.
func (h *harness) keys(keys ...string) *harness {
	h.t.Helper()
	for _, k := range keys {
		h.send(keyMsg(k))
	}
	return h
}

// typ types text, one key per rune.
func (h *harness) typ(text string) *harness {
	for _, r := range text {
		h.send(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
	return h
}

// screen is the plain text of the screen.
func (h *harness) screen() string { return ansi.Strip(h.m.render()) }

func (h *harness) mustShow(want ...string) {
	h.t.Helper()
	s := h.screen()
	for _, w := range want {
		if !strings.Contains(s, w) {
			h.t.Fatalf("screen does not show %q:\n%s", w, s)
		}
	}
}

func (h *harness) status() string { return h.m.status }

// isQuit runs cmd (and the commands of a batch) looking for tea.Quit.
func isQuit(cmd tea.Cmd) bool {
	if cmd == nil {
		return false
	}
	switch msg := cmd().(type) {
	case tea.QuitMsg:
		return true
	case tea.BatchMsg:
		for _, c := range msg {
			if isQuit(c) {
				return true
			}
		}
	}
	return false
}

func readAll(t *testing.T, r io.Reader) []byte {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

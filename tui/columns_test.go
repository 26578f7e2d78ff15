package tui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

// A long Go name is cut in the middle: its package and its function stay readable.
func TestListCellCutsTheMiddle(t *testing.T) {
	got := listCell("(*example.com/shop/cart.Handler).AddItem", 24, false)
	if lipgloss.Width(got) != 24 || !strings.HasPrefix(got, "(*example.") || !strings.HasSuffix(got, "r).AddItem") || !strings.Contains(got, "…") {
		t.Errorf("listCell = %q", got)
	}
	if got := listCell("12345", 3, true); got != "12…" {
		t.Errorf("a number is cut at the end: %q", got)
	}
}

// Columns take their content's width when it fits; when it does not, the widest text gives way
// first and numbers keep their width.
func TestWidthsFromContent(t *testing.T) {
	l := newList([]column{{title: "Method", width: 6}, {title: "Pattern", width: 20, flex: true}, {title: "Handler", width: 30}, {title: "Calls", width: 5, right: true}}, "")
	l.setRows([]row{
		{key: "a", cells: []string{"GET", "/orders/{id}", "(*example.com/shop/orders.Handler).Get", "12345"}},
		{key: "b", cells: []string{"POST", "/a/very/long/pattern/with/segments/{id}", "x.Y", "1"}},
	})
	wide := l.widths(200)
	if wide[2] != len("(*example.com/shop/orders.Handler).Get") {
		t.Errorf("at 200 cells the handler column is %d wide, want its content", wide[2])
	}
	narrow := l.widths(80)
	if s := sum(narrow) + len(narrow) - 1; s > 80 {
		t.Errorf("at 80 cells the columns take %d", s)
	}
	if narrow[3] != 6 {
		t.Errorf("the number column shrank to %d", narrow[3])
	}
	if narrow[1] < 20 || narrow[2] < 20 {
		t.Errorf("at 80 cells pattern and handler share the room unevenly: %v", narrow)
	}
}

// The shared tables view says which key prefixes (entities of a single-table design) each
// service uses.
func TestSharedTablesShowKeyPrefixes(t *testing.T) {
	p := readFixture(t)
	for i := range p.Packages {
		for j := range p.Packages[i].Tables {
			if tb := &p.Packages[i].Tables[j]; tb.Name == "stock" {
				tb.KeyPrefixes = []string{"SKU#" + p.Packages[i].Service}
			}
		}
	}
	m, err := New(Options{Plan: p})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, m: m}
	h.send(tea.WindowSizeMsg{Width: 120, Height: 30})
	h.keys("3")
	h.mustShow("stock", "[SKU#")
}

// Below the smallest size the screen says so in full, wrapped to the width there is.
func TestTooSmallSaysItInFull(t *testing.T) {
	h := newHarness(t, 30, 8)
	got := strings.Join(strings.Fields(h.screen()), " ")
	if !strings.Contains(got, "carve tui needs at least 40×10 cells (this terminal is 30×8)") {
		t.Errorf("too-small screen: %q", h.screen())
	}
	for _, line := range strings.Split(h.screen(), "\n") {
		if lipgloss.Width(line) > 30 {
			t.Errorf("line wider than the terminal: %q", line)
		}
	}
}

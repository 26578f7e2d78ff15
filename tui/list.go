package tui

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// column is one column of a list.
type column struct {
	title string
	width int  // cells; the first flexible column takes what is left
	right bool // numbers are right-aligned
	flex  bool
}

// row is one line of a list: a key that identifies it (a package path, a service name), the
// cells shown and, per column, a number to sort by (NaN-free; nil sorts by the cell text).
type row struct {
	key   string
	cells []string
	nums  []float64
}

// list is the scrolling, filterable, sortable table every view is built on. The filter (/)
// matches any cell, case-insensitively.
type list struct {
	cols     []column
	rows     []row
	view     []int // indices into rows after filter and sort
	cursor   int   // index into view
	offset   int   // first visible index into view
	height   int   // visible rows (without the header)
	width    int
	sortable bool
	sortCol  int
	sortDesc bool
	marks    map[string]bool // rows marked with space (split)
	filter   textinput.Model
	editing  bool // typing in the filter
	empty    string
	keys     listKeys
}

func newList(cols []column, empty string) list {
	f := newInput()
	f.Prompt = "/"
	f.Placeholder = "filter"
	return list{cols: cols, sortCol: -1, filter: f, empty: empty, keys: newListKeys(), marks: map[string]bool{}}
}

// setRows replaces the rows, keeping the cursor on the same key when it is still there.
func (l *list) setRows(rows []row) {
	cur := l.selectedKey()
	l.rows = rows
	l.apply()
	l.selectKey(cur)
	for k := range l.marks {
		if !slices.ContainsFunc(rows, func(r row) bool { return r.key == k }) {
			delete(l.marks, k)
		}
	}
}

// apply recomputes the visible rows from the filter and the sort.
func (l *list) apply() {
	q := strings.ToLower(strings.TrimSpace(l.filter.Value()))
	l.view = l.view[:0]
	for i, r := range l.rows {
		if q == "" || strings.Contains(strings.ToLower(strings.Join(r.cells, " ")), q) {
			l.view = append(l.view, i)
		}
	}
	if l.sortCol >= 0 {
		c := l.sortCol
		slices.SortStableFunc(l.view, func(a, b int) int {
			ra, rb := l.rows[a], l.rows[b]
			var d int
			if l.cols[c].right && c < len(ra.nums) && c < len(rb.nums) {
				d = cmp.Compare(ra.nums[c], rb.nums[c])
			} else {
				d = strings.Compare(ra.cells[c], rb.cells[c])
			}
			if l.sortDesc {
				d = -d
			}
			return d
		})
	}
	l.clamp()
}

func (l *list) clamp() {
	l.cursor = max(0, min(l.cursor, len(l.view)-1))
	h := max(1, l.height)
	if l.cursor < l.offset {
		l.offset = l.cursor
	}
	if l.cursor >= l.offset+h {
		l.offset = l.cursor - h + 1
	}
	l.offset = max(0, min(l.offset, len(l.view)-h))
}

func (l *list) selectKey(k string) {
	for i, ri := range l.view {
		if l.rows[ri].key == k {
			l.cursor = i
			l.clamp()
			return
		}
	}
	l.clamp()
}

// selectedKey is the key of the row under the cursor, or "".
func (l *list) selectedKey() string {
	if l.cursor < 0 || l.cursor >= len(l.view) {
		return ""
	}
	return l.rows[l.view[l.cursor]].key
}

// markedKeys are the marked rows' keys, sorted.
func (l *list) markedKeys() []string {
	var out []string
	for k, on := range l.marks {
		if on {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func (l *list) toggleMark() {
	if k := l.selectedKey(); k != "" {
		l.marks[k] = !l.marks[k]
		if !l.marks[k] {
			delete(l.marks, k)
		}
		l.move(1)
	}
}

func (l *list) move(n int) {
	l.cursor += n
	l.clamp()
}

// cycleSort sorts by the next column, numbers biggest first.
func (l *list) cycleSort() {
	l.sortCol = (l.sortCol + 1) % len(l.cols)
	l.sortDesc = l.cols[l.sortCol].right
	k := l.selectedKey()
	l.apply()
	l.selectKey(k)
}

func (l *list) reverseSort() {
	if l.sortCol < 0 {
		l.sortCol = 0
	}
	l.sortDesc = !l.sortDesc
	k := l.selectedKey()
	l.apply()
	l.selectKey(k)
}

// filtered reports whether a filter is set, and editing whether it is being typed.
func (l *list) filtered() bool { return l.filter.Value() != "" }

// update handles the keys and mouse wheel of a list; it reports whether it used the message.
func (l *list) update(msg tea.Msg) (bool, tea.Cmd) {
	if l.editing {
		if k, ok := msg.(tea.KeyPressMsg); ok {
			switch k.String() {
			case "enter":
				l.editing = false
				l.filter.Blur()
				return true, nil
			case "esc":
				l.editing = false
				l.filter.Blur()
				l.filter.SetValue("")
				l.apply()
				return true, nil
			}
		}
		var cmd tea.Cmd
		l.filter, cmd = l.filter.Update(msg)
		l.apply()
		return true, cmd
	}
	switch msg := msg.(type) {
	case tea.MouseWheelMsg:
		switch msg.Button {
		case tea.MouseWheelUp:
			l.move(-3)
		case tea.MouseWheelDown:
			l.move(3)
		default:
			return false, nil
		}
		return true, nil
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, l.keys.Up):
			l.move(-1)
		case key.Matches(msg, l.keys.Down):
			l.move(1)
		case key.Matches(msg, l.keys.PageUp):
			l.move(-max(1, l.height-1))
		case key.Matches(msg, l.keys.PageDown):
			l.move(max(1, l.height-1))
		case key.Matches(msg, l.keys.Top):
			l.cursor = 0
			l.clamp()
		case key.Matches(msg, l.keys.Bottom):
			l.cursor = len(l.view) - 1
			l.clamp()
		case key.Matches(msg, l.keys.Filter):
			l.editing = true
			return true, l.filter.Focus()
		case msg.String() == "esc" && l.filtered():
			l.filter.SetValue("")
			l.apply()
		default:
			return false, nil
		}
		return true, nil
	}
	return false, nil
}

// render draws the header and the visible rows in width × (height+1) cells, plus the filter
// line when a filter is set or typed.
func (l *list) render(st *styles, width, height int) string {
	showFilter := l.editing || l.filtered()
	if showFilter {
		height--
	}
	l.width, l.height = width, max(1, height-1)
	l.clamp()
	widths := l.widths(width - 2)
	var b strings.Builder
	b.WriteString("  ")
	for i, c := range l.cols {
		title := c.title
		if i == l.sortCol {
			title += map[bool]string{true: "↓", false: "↑"}[l.sortDesc]
		}
		b.WriteString(st.header.Render(cell(title, widths[i], c.right)))
		if i < len(l.cols)-1 {
			b.WriteString(" ")
		}
	}
	lines := []string{b.String()}
	if len(l.view) == 0 {
		msg := l.empty
		if l.filtered() {
			msg = "nothing matches the filter"
		}
		lines = append(lines, st.dim.Render("  "+msg))
	}
	for i := l.offset; i < len(l.view) && i < l.offset+l.height; i++ {
		r := l.rows[l.view[i]]
		prefix := "  "
		if l.marks[r.key] {
			prefix = "* "
		}
		if i == l.cursor {
			prefix = "▸" + prefix[1:]
		}
		var line strings.Builder
		for j, c := range l.cols {
			text := ""
			if j < len(r.cells) {
				text = r.cells[j]
			}
			line.WriteString(listCell(text, widths[j], c.right))
			if j < len(l.cols)-1 {
				line.WriteString(" ")
			}
		}
		text := line.String()
		switch {
		case i == l.cursor:
			text = st.selected.Render(text)
		case l.marks[r.key]:
			text = st.marked.Render(text)
		}
		lines = append(lines, prefix+text)
	}
	for len(lines) < height {
		lines = append(lines, "")
	}
	if showFilter {
		l.filter.SetWidth(max(10, width-4))
		f := l.filter.View()
		if !l.editing {
			f = st.dim.Render(fmt.Sprintf("/%s  (%d of %d; esc clears)", l.filter.Value(), len(l.view), len(l.rows)))
		}
		lines = append(lines, f)
	}
	return strings.Join(lines, "\n")
}

// widths sizes the columns from their content and the width there is: every column gets
// what its widest cell needs when that fits (the flexible one takes what is left); otherwise the
// widest text columns give way first, evenly (water-filling), never below their title, and
// numbers keep their width.
func (l *list) widths(total int) []int {
	n := len(l.cols)
	want, floor := make([]int, n), make([]int, n)
	for i, c := range l.cols {
		floor[i] = lipgloss.Width(c.title) + 1 // room for the sort arrow
		want[i] = max(c.width, floor[i])
		if !c.flex && !c.right {
			want[i] = floor[i] // a text column grows to its content only
		}
	}
	for _, r := range l.rows {
		for i := range min(n, len(r.cells)) {
			want[i] = max(want[i], lipgloss.Width(r.cells[i]))
		}
	}
	for i, c := range l.cols {
		if c.right {
			floor[i] = want[i]
		}
	}
	avail := total - (n - 1)
	if sum(want) <= avail {
		grow := len(l.cols) - 1
		for i, c := range l.cols {
			if c.flex {
				grow = i
				break
			}
		}
		want[grow] += avail - sum(want)
		return want
	}
	// The largest level L at which every column at min(want, max(L, floor)) still fits.
	fit := func(level int) []int {
		w := make([]int, n)
		for i := range w {
			w[i] = min(want[i], max(level, floor[i]))
		}
		return w
	}
	lo, hi := 0, slices.Max(want)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if sum(fit(mid)) <= avail {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return fit(lo)
}

func sum(xs []int) int {
	t := 0
	for _, x := range xs {
		t += x
	}
	return t
}

// cell fits s into w cells, truncating with … or padding.
func cell(s string, w int, right bool) string {
	if lipgloss.Width(s) > w {
		s = ansi.Truncate(s, w, "…")
	}
	pad := strings.Repeat(" ", max(0, w-lipgloss.Width(s)))
	if right {
		return pad + s
	}
	return s + pad
}

// listCell is cell for a list's text: cut with … in the middle, so that a long Go name keeps
// its package and its function ("(*example.com/…/cart.Handler).Add"); numbers, aligned right,
// are cut at the end.
func listCell(s string, w int, right bool) string {
	if width := lipgloss.Width(s); width > w && !right && w >= 8 {
		head := (w - 1) / 2
		s = ansi.Truncate(s, head, "") + "…" + ansi.TruncateLeft(s, width-(w-1-head), "")
	}
	return cell(s, w, right)
}

// newInput is a text input with a steady cursor: a blinking one redraws the screen twice a
// second for nothing, and would make screenshots differ.
func newInput() textinput.Model {
	in := textinput.New()
	st := in.Styles()
	st.Cursor.Blink = false
	in.SetStyles(st)
	return in
}

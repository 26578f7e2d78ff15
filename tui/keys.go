package tui

import (
	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
)

// globalKeys work in every view (except while typing in a filter or a prompt).
type globalKeys struct {
	Tab, BackTab, Jump, Back, Undo, Redo, Save, Help, Quit key.Binding
}

func newGlobalKeys() globalKeys {
	return globalKeys{
		Tab:     key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next tab")),
		BackTab: key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous tab")),
		Jump:    key.NewBinding(key.WithKeys("1", "2", "3", "4"), key.WithHelp("1-4", "go to tab")),
		Back:    key.NewBinding(key.WithKeys("esc", "backspace"), key.WithHelp("esc", "back")),
		Undo:    key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "undo")),
		Redo:    key.NewBinding(key.WithKeys("ctrl+r", "U"), key.WithHelp("ctrl+r", "redo")),
		Save:    key.NewBinding(key.WithKeys("w", "ctrl+s"), key.WithHelp("w", "save")),
		Help:    key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:    key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
	}
}

// listKeys move through a list and filter it.
type listKeys struct {
	Up, Down, PageUp, PageDown, Top, Bottom, Filter key.Binding
}

func newListKeys() listKeys {
	return listKeys{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+u"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+d"), key.WithHelp("pgdn", "page down")),
		Top:      key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g", "top")),
		Bottom:   key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G", "bottom")),
		Filter:   key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
	}
}

// filterKeys are the keys while typing a filter or a name.
type filterKeys struct {
	Accept, Cancel key.Binding
}

func newFilterKeys() filterKeys {
	return filterKeys{
		Accept: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "accept")),
		Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
	}
}

// editKeys are the what-if edits; each view enables the ones that apply to what it lists.
type editKeys struct {
	Open, Move, New, Kernel, Merge, Rename, Mark, Split, Sort, Reverse, Section, PrevSection key.Binding
}

func newEditKeys() editKeys {
	return editKeys{
		Open:        key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),
		Move:        key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "move to service")),
		New:         key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "move to new service")),
		Kernel:      key.NewBinding(key.WithKeys("K"), key.WithHelp("K", "mark kernel")),
		Merge:       key.NewBinding(key.WithKeys("M"), key.WithHelp("M", "merge into…")),
		Rename:      key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "rename")),
		Mark:        key.NewBinding(key.WithKeys("space"), key.WithHelp("space", "mark for split")),
		Split:       key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "split marked off")),
		Sort:        key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sort by next column")),
		Reverse:     key.NewBinding(key.WithKeys("S"), key.WithHelp("S", "reverse sort")),
		Section:     key.NewBinding(key.WithKeys("right", "l"), key.WithHelp("→/l", "next section")),
		PrevSection: key.NewBinding(key.WithKeys("left", "h"), key.WithHelp("←/h", "previous section")),
	}
}

// keyMap is one view's keys as help shows them: it implements help.KeyMap.
type keyMap struct {
	short []key.Binding
	full  [][]key.Binding
}

var _ help.KeyMap = keyMap{}

// ShortHelp is the one-line help bar.
func (k keyMap) ShortHelp() []key.Binding { return k.short }

// FullHelp is the '?' help, in columns.
func (k keyMap) FullHelp() [][]key.Binding { return k.full }

// viewKeyMap builds a view's key map from its own edit keys, the list keys and the global keys.
func viewKeyMap(edits []key.Binding, l listKeys, g globalKeys) keyMap {
	var short []key.Binding
	for _, b := range edits[:min(3, len(edits))] {
		short = append(short, brief(b))
	}
	short = append(short, l.Filter, g.Undo, g.Save, g.Help, g.Quit)
	return keyMap{
		short: short,
		full: [][]key.Binding{
			{l.Up, l.Down, l.PageUp, l.PageDown, l.Top, l.Bottom, l.Filter},
			edits,
			{g.Tab, g.BackTab, g.Back, g.Undo, g.Redo, g.Save, g.Help, g.Quit},
		},
	}
}

// briefs are the help bar's words for the edit keys; '?' shows the long ones.
var briefs = map[string]string{
	"move to service": "move", "move to a service": "move", "move to new service": "new",
	"mark kernel": "kernel", "merge into…": "merge", "mark for split": "mark", "split marked off": "split",
	"sort by next column": "sort", "reverse sort": "reverse", "next section": "section",
	"previous section": "section", "open that package": "open", "open first service": "open",
}

// brief is b with its help bar description.
func brief(b key.Binding) key.Binding {
	h := b.Help()
	if d, ok := briefs[h.Desc]; ok {
		b.SetHelp(h.Key, d)
	}
	return b
}

package tui

import (
	"fmt"
	"sort"
	"strings"

	"github.com/carve-dev/carve/analyze/plan"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// sections is a row of named lists within a page, switched with ←/→.
type sections struct {
	names []string
	lists []list
	cur   int
}

func (s *sections) current() *list { return &s.lists[s.cur] }

func (s *sections) update(c *shared, msg tea.Msg) (bool, tea.Cmd) {
	l := s.current()
	if used, cmd := l.update(msg); used {
		return true, cmd
	}
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch {
		case key.Matches(k, c.edits.Section):
			s.cur = (s.cur + 1) % len(s.lists)
			return true, nil
		case key.Matches(k, c.edits.PrevSection):
			s.cur = (s.cur + len(s.lists) - 1) % len(s.lists)
			return true, nil
		case key.Matches(k, c.edits.Sort):
			l.cycleSort()
			return true, nil
		case key.Matches(k, c.edits.Reverse):
			l.reverseSort()
			return true, nil
		}
	}
	return false, nil
}

func (s *sections) render(c *shared, head []string, w, h int) string {
	var bar []string
	for i, n := range s.names {
		label := fmt.Sprintf("%s (%d)", n, len(s.lists[i].rows))
		if i == s.cur {
			bar = append(bar, c.st.tabActive.Render(label))
		} else {
			bar = append(bar, c.st.tab.Render(label))
		}
	}
	lines := append([]string{}, head...)
	lines = append(lines, cell(strings.Join(bar, "  "), w, false))
	body := s.current().render(&c.st, w, max(2, h-len(lines)))
	return strings.Join(lines, "\n") + "\n" + body
}

// --- one service ----------------------------------------------------------------------------

type serviceView struct {
	name string
	gone bool // merged away or renamed by undo: the root closes the page
	sec  sections
}

// asyncKey prefixes the row key of an async edge in Depends on and Used by, so that a service
// both called and sent events has two rows.
const asyncKey = "async\x00"

const (
	secPackages = iota
	secRoutes
	secTables
	secDependsOn
	secUsedBy
)

func newServiceView(name string) *serviceView {
	edge := []column{{title: "Service", width: 14, flex: true}, {title: "Calls", width: 6, right: true}, {title: "Refs", width: 5, right: true}, {title: "Call site or topics", width: 30}}
	return &serviceView{name: name, sec: sections{
		names: []string{"Packages", "Routes", "Tables", "Depends on", "Used by"},
		lists: []list{
			newList([]column{{title: "Package", width: 20, flex: true}, {title: "Lines", width: 6, right: true}, {title: "Routes", width: 6, right: true}, {title: "Tables", width: 6, right: true}, {title: "Inside", width: 6, right: true}}, "no packages"),
			newList([]column{{title: "Method", width: 6}, {title: "Pattern", width: 20, flex: true}, {title: "Handler", width: 30}}, "serves no HTTP route"),
			newList([]column{{title: "Table", width: 14, flex: true}, {title: "Store", width: 8}, {title: "Access", width: 9}, {title: "Also used by", width: 22}}, "touches no table"),
			newList(edge, "calls no other service"),
			newList(edge, "no other service calls it"),
		},
	}}
}

func (v *serviceView) crumb() string  { return v.name }
func (v *serviceView) typing() bool   { return v.sec.current().editing }
func (v *serviceView) current() *list { return v.sec.current() }

func (v *serviceView) refresh(c *shared) {
	p := c.session.Plan()
	s := p.Service(v.name)
	if s == nil {
		v.gone = true
		return
	}
	v.gone = false
	var pk []row
	for _, path := range s.Packages {
		q := c.pkgs[path]
		inside := insideShare(c, path)
		pk = append(pk, row{key: path,
			cells: []string{c.short(path), fmt.Sprint(q.Lines), fmt.Sprint(len(q.Routes)), fmt.Sprint(len(q.Tables)), fmt.Sprintf("%.0f%%", 100*inside)},
			nums:  []float64{0, float64(q.Lines), float64(len(q.Routes)), float64(len(q.Tables)), inside}})
	}
	v.sec.lists[secPackages].setRows(pk)

	var rt []row
	for _, r := range s.Routes {
		m := r.Method
		if m == "" {
			m = "*"
		}
		rt = append(rt, row{key: m + " " + r.Host + r.Pattern, cells: []string{m, r.Host + r.Pattern, c.short(r.Handler)}})
	}
	v.sec.lists[secRoutes].setRows(rt)

	var tb []row
	for _, t := range s.Tables {
		var others []string
		for _, st := range p.SharedTables {
			if st.Name == t.Name && st.Store == t.Store {
				for _, a := range st.Services {
					if a.Service != s.Name {
						others = append(others, a.Service)
					}
				}
			}
		}
		tb = append(tb, row{key: t.Store + ":" + t.Name, cells: []string{t.Name, t.Store, t.Access, strings.Join(others, " ")}})
	}
	v.sec.lists[secTables].setRows(tb)

	var dep, used []row
	for _, e := range p.Edges {
		site := ""
		if len(e.Sites) > 0 {
			site = e.Sites[0]
		}
		switch s.Name {
		case e.From:
			dep = append(dep, row{key: e.To, cells: []string{e.To, fmt.Sprint(e.Calls), fmt.Sprint(e.Refs), site}, nums: []float64{0, float64(e.Calls), float64(e.Refs), 0}})
		case e.To:
			used = append(used, row{key: e.From, cells: []string{e.From, fmt.Sprint(e.Calls), fmt.Sprint(e.Refs), site}, nums: []float64{0, float64(e.Calls), float64(e.Refs), 0}})
		}
	}
	byCalls := func(r []row) {
		sort.SliceStable(r, func(i, j int) bool { return r[i].nums[1] > r[j].nums[1] })
	}
	byCalls(dep)
	byCalls(used)
	// Async edges (events) after the calls, marked ⇢: an event contract, no call.
	for _, e := range p.AsyncEdges {
		topics := strings.Join(e.Topics, " ")
		switch s.Name {
		case e.From:
			dep = append(dep, row{key: asyncKey + e.To, cells: []string{"⇢ " + e.To, "async", "-", topics}, nums: []float64{0, 0, 0, 0}})
		case e.To:
			used = append(used, row{key: asyncKey + e.From, cells: []string{"⇢ " + e.From, "async", "-", topics}, nums: []float64{0, 0, 0, 0}})
		}
	}
	v.sec.lists[secDependsOn].setRows(dep)
	v.sec.lists[secUsedBy].setRows(used)
}

// insideShare is the share of a package's coupling weight (kernel aside) that stays in its
// service.
func insideShare(c *shared, path string) float64 {
	own := c.pkgs[path].Service
	var in, all float64
	for _, list := range [][]int{c.out[path], c.in[path]} {
		for _, i := range list {
			e := c.session.Plan().Graph[i]
			other := e.To
			if other == path {
				other = e.From
			}
			q := c.pkgs[other]
			if q == nil || q.Kernel || q.Service == "" || other == path {
				continue
			}
			all += e.Weight
			if q.Service == own {
				in += e.Weight
			}
		}
	}
	if all == 0 {
		return 1
	}
	return in / all
}

func (v *serviceView) update(c *shared, msg tea.Msg) (intent, tea.Cmd) {
	if used, cmd := v.sec.update(c, msg); used {
		return noIntent{}, cmd
	}
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil, nil
	}
	switch {
	case key.Matches(k, c.edits.Rename):
		return askRename{v.name}, nil
	case key.Matches(k, c.edits.Merge):
		return askMerge{v.name}, nil
	}
	l := v.sec.current()
	switch v.sec.cur {
	case secPackages:
		switch {
		case key.Matches(k, c.edits.Mark):
			l.toggleMark()
			return noIntent{}, nil
		case key.Matches(k, c.edits.Split):
			return askSplit{v.name, l.markedKeys()}, nil
		}
		return packageIntent(c, k, l.selectedKey()), nil
	case secDependsOn, secUsedBy:
		if key.Matches(k, c.edits.Open) && l.selectedKey() != "" {
			return openService{strings.TrimPrefix(l.selectedKey(), asyncKey)}, nil
		}
	}
	return nil, nil
}

func (v *serviceView) render(c *shared, w, h int) string {
	s := c.session.Plan().Service(v.name)
	if s == nil {
		return c.st.dim.Render("service " + v.name + " is gone")
	}
	prev, known := c.session.Previous().Services[v.name]
	dc, dp := "", ""
	if known {
		dc, dp = delta(s.Cohesion-prev.Cohesion, " %.3f"), delta(s.Coupling-prev.Coupling, " %.3f")
	}
	head := []string{
		cell(c.st.title.Render(s.Name)+fmt.Sprintf("  %d packages · %d routes · %d tables · cohesion %.3f%s · coupling %.3f%s",
			len(s.Packages), len(s.Routes), len(s.Tables), s.Cohesion, dc, s.Coupling, dp), w, false),
	}
	if marked := v.sec.lists[secPackages].markedKeys(); len(marked) > 0 {
		head = append(head, c.st.marked.Render(fmt.Sprintf("%d package(s) marked: x splits them into a new service", len(marked))))
	}
	return v.sec.render(c, head, w, h)
}

// keys offers what works in the section shown: package edits in Packages, opening a service in
// Depends on and Used by, and the service's own edits and the section keys everywhere.
func (v *serviceView) keys(c *shared) keyMap {
	e := c.edits
	var edits []key.Binding
	switch v.sec.cur {
	case secPackages:
		edits = []key.Binding{e.Open, e.Move, e.Mark, e.Split, e.New, e.Kernel}
	case secDependsOn, secUsedBy:
		edits = []key.Binding{e.Open}
	}
	edits = append(edits, e.Rename, e.Merge, e.Section, e.PrevSection, e.Sort, e.Reverse)
	return viewKeyMap(edits, c.list, c.global)
}

// --- one package ----------------------------------------------------------------------------

type packageView struct {
	path  string
	label string // the path without the module, for the breadcrumb
	sec   sections
}

func newPackageView(path, label string) *packageView {
	cols := []column{{title: "Package", width: 20}, {title: "Service", width: 10}, {title: "Weight", width: 6, right: true}, {title: "Calls", width: 5, right: true}, {title: "Signals", width: 20, flex: true}}
	return &packageView{path: path, label: label, sec: sections{
		names: []string{"Depends on", "Used by"},
		lists: []list{newList(cols, "depends on no package of the module"), newList(cols, "no package of the module uses it")},
	}}
}

func (v *packageView) crumb() string  { return v.label }
func (v *packageView) typing() bool   { return v.sec.current().editing }
func (v *packageView) current() *list { return v.sec.current() }

func (v *packageView) refresh(c *shared) {
	g := c.session.Plan().Graph
	for i, idx := range [][]int{c.out[v.path], c.in[v.path]} {
		var rows []row
		for _, j := range idx {
			e := g[j]
			other := e.To
			if i == 1 {
				other = e.From
			}
			rows = append(rows, row{key: other, cells: []string{c.short(other), c.where(other), num(e.Weight), fmt.Sprint(e.Calls), signalsText(e.Signals)}, nums: []float64{0, 0, e.Weight, float64(e.Calls), 0}})
		}
		sort.SliceStable(rows, func(a, b int) bool { return rows[a].nums[2] > rows[b].nums[2] })
		v.sec.lists[i].setRows(rows)
	}
}

func (v *packageView) update(c *shared, msg tea.Msg) (intent, tea.Cmd) {
	if used, cmd := v.sec.update(c, msg); used {
		return noIntent{}, cmd
	}
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil, nil
	}
	if key.Matches(k, c.edits.Open) {
		if other := v.sec.current().selectedKey(); other != "" && c.pkgs[other] != nil {
			return openPackage{other}, nil
		}
		return nil, nil
	}
	// The edit keys act on the package the page is about, not on the row.
	return packageIntent(c, k, v.path), nil
}

func (v *packageView) render(c *shared, w, h int) string {
	p := c.pkgs[v.path]
	kind := ""
	if p.Main {
		kind = " · main"
	}
	head := []string{cell(c.st.title.Render(c.short(v.path))+fmt.Sprintf("  in %s · %d lines · %d routes · %d tables%s", c.where(v.path), p.Lines, len(p.Routes), len(p.Tables), kind), w, false)}
	for _, l := range c.placement(v.path) {
		head = append(head, cell(c.st.dim.Render(l), w, false))
	}
	return v.sec.render(c, head, w, h)
}

func (v *packageView) keys(c *shared) keyMap {
	e := c.edits
	open := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open that package"))
	return viewKeyMap([]key.Binding{e.Move, e.New, e.Kernel, e.Section, open, e.PrevSection, e.Sort, e.Reverse}, c.list, c.global)
}

// --- the service picker ---------------------------------------------------------------------

// newServiceKey is the picker row that asks for a new service.
const newServiceKey = "\x00new"

type pickerView struct {
	title string
	l     list
}

func newPickerView(title string, services []string, exclude string, allowNew bool) *pickerView {
	v := &pickerView{title: title, l: newList([]column{{title: "Service", width: 20, flex: true}}, "no other service")}
	var rows []row
	for _, s := range services {
		if s != exclude {
			rows = append(rows, row{key: s, cells: []string{s}})
		}
	}
	if allowNew {
		rows = append(rows, row{key: newServiceKey, cells: []string{"+ new service…"}})
	}
	v.l.setRows(rows)
	return v
}

// withOutcomes adds to the picker what each choice would do to modularity and cross-service
// calls, and marks the best (the highest modularity): the "best move" of a what-if edit.
func (v *pickerView) withOutcomes(now plan.Metrics, outcomes []MoveOutcome) {
	if len(outcomes) == 0 {
		return
	}
	best := 0
	for i, o := range outcomes {
		if o.Modularity > outcomes[best].Modularity {
			best = i
		}
	}
	v.l.cols = []column{{title: "Service", width: 20, flex: true}, {title: "ΔQ", width: 7, right: true}, {title: "ΔICP", width: 7, right: true}, {title: "", width: 6}}
	by := map[string]MoveOutcome{}
	for _, o := range outcomes {
		by[o.Service] = o
	}
	rows := v.l.rows
	for i, r := range rows {
		o, ok := by[r.key]
		if !ok {
			continue
		}
		mark := ""
		if o.Service == outcomes[best].Service && o.Modularity > now.Modularity {
			mark = "★ best"
		}
		rows[i].cells = []string{r.cells[0], fmt.Sprintf("%+.3f", o.Modularity-now.Modularity), fmt.Sprintf("%+.1f%%", 100*(o.ICP-now.ICP)), mark}
		rows[i].nums = []float64{0, o.Modularity - now.Modularity, o.ICP - now.ICP, 0}
	}
	v.l.setRows(rows)
	v.l.selectKey(outcomes[best].Service)
}

func (v *pickerView) crumb() string     { return "pick" }
func (v *pickerView) typing() bool      { return v.l.editing }
func (v *pickerView) current() *list    { return &v.l }
func (v *pickerView) refresh(c *shared) {}

func (v *pickerView) update(c *shared, msg tea.Msg) (intent, tea.Cmd) {
	if used, cmd := v.l.update(msg); used {
		return noIntent{}, cmd
	}
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch k.String() {
		case "enter":
			if sel := v.l.selectedKey(); sel != "" {
				return picked{sel}, nil
			}
		case "esc":
			return cancel{}, nil
		}
	}
	return nil, nil
}

func (v *pickerView) render(c *shared, w, h int) string {
	return c.st.prompt.Render(cell(v.title, w, false)) + "\n" + v.l.render(&c.st, w, h-1)
}

func (v *pickerView) keys(c *shared) keyMap {
	pick := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "choose"))
	esc := key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel"))
	return keyMap{short: []key.Binding{c.list.Up, c.list.Down, pick, c.list.Filter, esc}, full: [][]key.Binding{{c.list.Up, c.list.Down, c.list.Top, c.list.Bottom}, {pick, c.list.Filter, esc}}}
}

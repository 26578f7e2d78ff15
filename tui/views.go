package tui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// view is one screen of the TUI: a tab (services, packages, shared tables, kernel) or a page
// opened from one (a service, a package) or the service picker. The root model owns the views
// and the session; a view turns keys into intents and draws itself.
type view interface {
	// crumb is the view's name in the breadcrumb.
	crumb() string
	// refresh rebuilds the view from the session after a step.
	refresh(c *shared)
	// update handles a message the root did not take; it returns what the user asked for.
	update(c *shared, msg tea.Msg) (intent, tea.Cmd)
	// render draws the view in width × height cells.
	render(c *shared, width, height int) string
	// keys are the view's keys for the help bar and '?'.
	keys(c *shared) keyMap
	// typing reports whether a filter is being typed (global keys are then text).
	typing() bool
	// current is the list the keys move in.
	current() *list
}

// intent is what a view asks the root to do.
type intent any

type (
	openService struct{ name string }
	openPackage struct{ path string }
	askMove     struct{ pkg string }
	askNew      struct{ pkg string }
	doKernel    struct{ pkg string }
	askMerge    struct{ service string }
	askRename   struct{ service string }
	askSplit    struct {
		service string
		pkgs    []string
	}
	picked   struct{ choice string }
	cancel   struct{}
	noIntent struct{}
)

// packageIntent maps the package edit keys to intents on pkg.
func packageIntent(c *shared, msg tea.KeyPressMsg, pkg string) intent {
	if pkg == "" {
		return nil
	}
	switch {
	case key.Matches(msg, c.edits.Open):
		return openPackage{pkg}
	case key.Matches(msg, c.edits.Move):
		return askMove{pkg}
	case key.Matches(msg, c.edits.New):
		return askNew{pkg}
	case key.Matches(msg, c.edits.Kernel):
		return doKernel{pkg}
	}
	return nil
}

// --- services -------------------------------------------------------------------------------

type servicesView struct{ l list }

func newServicesView() *servicesView {
	return &servicesView{l: newList([]column{
		{title: "Service", width: 14, flex: true},
		{title: "Pkgs", width: 5, right: true},
		{title: "Routes", width: 6, right: true},
		{title: "Tables", width: 6, right: true},
		{title: "Cohesion", width: 9, right: true},
		{title: "Δ", width: 6, right: true},
		{title: "Coupling", width: 9, right: true},
		{title: "Δ", width: 6, right: true},
	}, "no services: every package is kernel")}
}

func (v *servicesView) crumb() string  { return "Services" }
func (v *servicesView) typing() bool   { return v.l.editing }
func (v *servicesView) current() *list { return &v.l }

func (v *servicesView) refresh(c *shared) {
	prev := c.session.Previous().Services
	var rows []row
	for _, s := range c.session.Plan().Services {
		dc, dp := "new", "new"
		if ps, ok := prev[s.Name]; ok {
			dc, dp = delta(s.Cohesion-ps.Cohesion, "%.3f"), delta(s.Coupling-ps.Coupling, "%.3f")
		}
		rows = append(rows, row{key: s.Name,
			cells: []string{s.Name, fmt.Sprint(len(s.Packages)), fmt.Sprint(len(s.Routes)), fmt.Sprint(len(s.Tables)),
				fmt.Sprintf("%.3f", s.Cohesion), dc, fmt.Sprintf("%.3f", s.Coupling), dp},
			nums: []float64{0, float64(len(s.Packages)), float64(len(s.Routes)), float64(len(s.Tables)), s.Cohesion, s.Cohesion - prev[s.Name].Cohesion, s.Coupling, s.Coupling - prev[s.Name].Coupling},
		})
	}
	v.l.setRows(rows)
}

func (v *servicesView) update(c *shared, msg tea.Msg) (intent, tea.Cmd) {
	if used, cmd := v.l.update(msg); used {
		return noIntent{}, cmd
	}
	k, ok := msg.(tea.KeyPressMsg)
	name := v.l.selectedKey()
	if !ok {
		return nil, nil
	}
	switch {
	case key.Matches(k, c.edits.Sort):
		v.l.cycleSort()
		return noIntent{}, nil
	case key.Matches(k, c.edits.Reverse):
		v.l.reverseSort()
		return noIntent{}, nil
	case name == "":
		return nil, nil
	case key.Matches(k, c.edits.Open):
		return openService{name}, nil
	case key.Matches(k, c.edits.Merge):
		return askMerge{name}, nil
	case key.Matches(k, c.edits.Rename):
		return askRename{name}, nil
	}
	return nil, nil
}

func (v *servicesView) render(c *shared, w, h int) string { return v.l.render(&c.st, w, h) }

func (v *servicesView) keys(c *shared) keyMap {
	e := c.edits
	return viewKeyMap([]key.Binding{e.Open, e.Merge, e.Rename, e.Sort, e.Reverse}, c.list, c.global)
}

// --- packages and kernel --------------------------------------------------------------------

type packagesView struct {
	l      list
	kernel bool // the kernel tab: only kernel packages
}

func newPackagesView(kernel bool) *packagesView {
	if kernel {
		return &packagesView{kernel: true, l: newList([]column{
			{title: "Kernel package", width: 20, flex: true},
			{title: "Lines", width: 6, right: true},
			{title: "Used by", width: 8, right: true},
		}, "no kernel packages: mark one with K in the packages tab")}
	}
	return &packagesView{l: newList([]column{
		{title: "Package", width: 20, flex: true},
		{title: "Service", width: 14},
		{title: "Lines", width: 6, right: true},
		{title: "Routes", width: 6, right: true},
		{title: "Tables", width: 6, right: true},
	}, "no packages")}
}

func (v *packagesView) crumb() string {
	if v.kernel {
		return "Kernel"
	}
	return "Packages"
}
func (v *packagesView) typing() bool   { return v.l.editing }
func (v *packagesView) current() *list { return &v.l }

func (v *packagesView) refresh(c *shared) {
	var rows []row
	for _, p := range c.session.Plan().Packages {
		if v.kernel {
			if !p.Kernel {
				continue
			}
			n := 0
			for _, i := range c.in[p.Path] {
				if q := c.pkgs[c.session.Plan().Graph[i].From]; q != nil && !q.Kernel {
					n++
				}
			}
			c.usedN[p.Path] = n
			rows = append(rows, row{key: p.Path, cells: []string{c.short(p.Path), fmt.Sprint(p.Lines), fmt.Sprint(n)},
				nums: []float64{0, float64(p.Lines), float64(n)}})
			continue
		}
		rows = append(rows, row{key: p.Path,
			cells: []string{c.short(p.Path), c.where(p.Path), fmt.Sprint(p.Lines), fmt.Sprint(len(p.Routes)), fmt.Sprint(len(p.Tables))},
			nums:  []float64{0, 0, float64(p.Lines), float64(len(p.Routes)), float64(len(p.Tables))}})
	}
	v.l.setRows(rows)
}

func (v *packagesView) update(c *shared, msg tea.Msg) (intent, tea.Cmd) {
	if used, cmd := v.l.update(msg); used {
		return noIntent{}, cmd
	}
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil, nil
	}
	switch {
	case key.Matches(k, c.edits.Sort):
		v.l.cycleSort()
		return noIntent{}, nil
	case key.Matches(k, c.edits.Reverse):
		v.l.reverseSort()
		return noIntent{}, nil
	}
	return packageIntent(c, k, v.l.selectedKey()), nil
}

func (v *packagesView) render(c *shared, w, h int) string { return v.l.render(&c.st, w, h) }

func (v *packagesView) keys(c *shared) keyMap {
	e := c.edits
	if v.kernel {
		move := key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "move to a service"))
		return viewKeyMap([]key.Binding{e.Open, move, e.New, e.Sort, e.Reverse}, c.list, c.global)
	}
	return viewKeyMap([]key.Binding{e.Open, e.Move, e.New, e.Kernel, e.Sort, e.Reverse}, c.list, c.global)
}

// --- shared tables --------------------------------------------------------------------------

type tablesView struct{ l list }

func newTablesView() *tablesView {
	return &tablesView{l: newList([]column{
		{title: "Shared table", width: 14, flex: true},
		{title: "Store", width: 8},
		{title: "Services (access[key prefixes])", width: 36},
	}, "no table is shared: every table has one owner")}
}

func (v *tablesView) crumb() string  { return "Shared tables" }
func (v *tablesView) typing() bool   { return v.l.editing }
func (v *tablesView) current() *list { return &v.l }

func (v *tablesView) refresh(c *shared) {
	// The key prefixes each service writes or reads in a single-table design say which
	// entities of the shared table are whose.
	p := c.session.Plan()
	prefixes := map[[3]string][]string{} // service, store, table → key prefixes
	for _, svc := range p.Services {
		for _, t := range svc.Tables {
			prefixes[[3]string{svc.Name, t.Store, t.Name}] = t.KeyPrefixes
		}
	}
	var rows []row
	for _, t := range p.SharedTables {
		parts := make([]string, 0, len(t.Services))
		for _, a := range t.Services {
			part := a.Service + ":" + a.Access
			if kp := prefixes[[3]string{a.Service, t.Store, t.Name}]; len(kp) > 0 {
				part += "[" + strings.Join(kp, ",") + "]"
			}
			parts = append(parts, part)
		}
		rows = append(rows, row{key: t.Store + ":" + t.Name, cells: []string{t.Name, t.Store, strings.Join(parts, " ")}})
	}
	v.l.setRows(rows)
}

func (v *tablesView) update(c *shared, msg tea.Msg) (intent, tea.Cmd) {
	if used, cmd := v.l.update(msg); used {
		return noIntent{}, cmd
	}
	if k, ok := msg.(tea.KeyPressMsg); ok && key.Matches(k, c.edits.Open) {
		// Open the first service that touches the table: where a split would start.
		for _, t := range c.session.Plan().SharedTables {
			if t.Store+":"+t.Name == v.l.selectedKey() && len(t.Services) > 0 {
				return openService{t.Services[0].Service}, nil
			}
		}
	}
	return nil, nil
}

func (v *tablesView) render(c *shared, w, h int) string { return v.l.render(&c.st, w, h) }

func (v *tablesView) keys(c *shared) keyMap {
	open := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open first service"))
	return viewKeyMap([]key.Binding{open}, c.list, c.global)
}

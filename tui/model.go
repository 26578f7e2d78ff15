// Package tui is carve's terminal UI: explore the coupling of a monolith as a plan describes it
// and reshape the proposed services, watching every score change. It reads and writes the same
// plan as 'carve analyze'. The root Model holds one view per tab and a stack of pages opened
// from them; an editing Session, which knows nothing about the terminal, carries out the edits.
package tui

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/carve-dev/carve/analyze/plan"
)

// Progress is how far loading a module has come: the stage ("loading packages", "signal:
// calls"), and when known how many of how many.
type Progress struct {
	Stage       string
	Done, Total int
}

// Loader loads a module and proposes a plan, reporting progress as it goes. It runs outside
// Update, so the screen stays live; it must return when ctx is cancelled.
type Loader func(ctx context.Context, progress func(Progress)) (*plan.Plan, error)

// Options configure a Model.
type Options struct {
	// Plan is opened at once when set; otherwise Load is run.
	Plan *plan.Plan
	// Load loads the module when Plan is nil.
	Load Loader
	// Source names what is loaded, for the loading screen (a directory).
	Source string
	// Score rescores the plan after each step; Rescore when nil.
	Score Scorer
	// PlanPath is where 'w' saves the plan.
	PlanPath string
	// ConfigPath is the carve.yaml the edits are written to as constraints; empty: none.
	ConfigPath string
	// Color enables colour; false under NO_COLOR. Bold, reverse and markers stay.
	Color bool
	// Context ends a running load when cancelled.
	Context context.Context
}

// Model is the root bubbletea model.
type Model struct {
	opts   Options
	ctx    context.Context
	cancel context.CancelFunc

	c     *shared // nil while loading
	st    styles
	dark  bool
	tabs  []view
	tab   int
	stack []view

	modal    *pickerView
	onPick   func(choice string) (string, error)
	prompt   *textinput.Model
	askLabel string
	onPrompt func(value string) (string, error)

	help      help.Model
	fullHelp  bool
	status    string
	statusErr bool
	quitArmed bool

	width, height int

	progress   Progress
	progressCh chan Progress
	spin       spinner.Model
	err        error
	quitting   bool // a tea.Quit was returned
}

type (
	progressMsg Progress
	loadedMsg   struct {
		plan *plan.Plan
		err  error
	}
)

// New makes the root model. With a plan it is ready at once; otherwise Init starts loading.
func New(opts Options) (*Model, error) {
	if opts.Plan == nil && opts.Load == nil {
		return nil, errors.New("tui needs a plan or a module to load")
	}
	if opts.Context == nil {
		opts.Context = context.Background()
	}
	m := &Model{opts: opts, dark: true, help: help.New(), spin: spinner.New(spinner.WithSpinner(spinner.Dot)), width: 80, height: 24}
	m.ctx, m.cancel = context.WithCancel(opts.Context)
	m.st = newStyles(m.dark, opts.Color)
	m.help.Styles = m.st.help
	if opts.Plan != nil {
		if err := m.open(opts.Plan); err != nil {
			m.cancel()
			return nil, err
		}
	}
	return m, nil
}

// Err is why the TUI ended early: the module did not load, or the plan could not be scored.
func (m *Model) Err() error { return m.err }

// Session is the editing session, nil while loading.
func (m *Model) Session() *Session {
	if m.c == nil {
		return nil
	}
	return m.c.session
}

func (m *Model) open(p *plan.Plan) error {
	s, err := NewSession(p, m.opts.Score)
	if err != nil {
		return err
	}
	m.c = newShared(s, m.st)
	m.tabs = []view{newServicesView(), newPackagesView(false), newTablesView(), newPackagesView(true)}
	m.refresh()
	m.status = fmt.Sprintf("%d services · %d packages · %d kernel — enter opens, 1-4 tabs, ? lists every key", len(p.Services), len(p.Packages), len(p.Kernel))
	return nil
}

// Init asks the terminal for its background (light or dark) and starts loading if needed.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{tea.RequestBackgroundColor}
	if m.c == nil {
		cmds = append(cmds, m.startLoad(), m.spin.Tick)
	}
	return tea.Batch(cmds...)
}

// startLoad runs the loader in a command (off the Update goroutine) and streams its progress
// through a channel the model listens on; progress that arrives faster than the screen takes it
// is dropped, never queued against the loader.
func (m *Model) startLoad() tea.Cmd {
	ch := make(chan Progress, 64)
	m.progressCh = ch
	ctx, load := m.ctx, m.opts.Load
	run := func() tea.Msg {
		p, err := load(ctx, func(pr Progress) {
			select {
			case ch <- pr:
			default:
			}
		})
		close(ch)
		return loadedMsg{plan: p, err: err}
	}
	return tea.Batch(run, waitProgress(ch))
}

func waitProgress(ch <-chan Progress) tea.Cmd {
	return func() tea.Msg {
		p, ok := <-ch
		if !ok {
			return nil
		}
		return progressMsg(p)
	}
}

// Update handles one message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.help.SetWidth(msg.Width)
		return m, nil
	case tea.BackgroundColorMsg:
		m.dark = msg.IsDark()
		m.restyle()
		return m, nil
	case progressMsg:
		m.progress = Progress(msg)
		return m, waitProgress(m.progressCh)
	case loadedMsg:
		if msg.err == nil {
			msg.err = m.open(msg.plan)
		}
		if msg.err != nil {
			m.err = msg.err
			return m, m.quit()
		}
		return m, nil
	case spinner.TickMsg:
		if m.c != nil {
			return m, nil
		}
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		return m, cmd
	}
	if m.c == nil { // loading: only quitting
		if k, ok := msg.(tea.KeyPressMsg); ok && key.Matches(k, newGlobalKeys().Quit) {
			return m, m.quit() // cancels the load
		}
		return m, nil
	}
	if m.prompt != nil {
		return m, m.updatePrompt(msg)
	}
	k, isKey := msg.(tea.KeyPressMsg)
	if isKey {
		if cmd, done := m.globalKey(k); done {
			return m, cmd
		}
		m.quitArmed = false
	}
	v := m.top()
	in, cmd := v.update(m.c, msg)
	if in == nil && isKey && key.Matches(k, m.c.global.Back) {
		m.back()
		return m, cmd
	}
	m.handle(in)
	return m, cmd
}

// globalKey handles the keys every view shares; done reports whether k was one.
func (m *Model) globalKey(k tea.KeyPressMsg) (tea.Cmd, bool) {
	g := m.c.global
	if m.top().typing() {
		return nil, false
	}
	if m.fullHelp {
		switch {
		case key.Matches(k, g.Quit):
		case key.Matches(k, g.Help) || k.String() == "esc":
			m.fullHelp = false
			return nil, true
		default:
			return nil, true
		}
	}
	switch {
	case key.Matches(k, g.Quit):
		if m.c.session.Dirty() && !m.quitArmed && k.String() != "ctrl+c" {
			m.quitArmed = true
			m.setStatus("unsaved edits: w saves them, q again quits without saving", true)
			return nil, true
		}
		m.cancel()
		return m.quit(), true
	case key.Matches(k, g.Help):
		m.fullHelp = true
	case m.modal != nil:
		return nil, false // the picker takes every other key
	case key.Matches(k, g.Undo):
		m.travel(m.c.session.Undo, "undid")
	case key.Matches(k, g.Redo):
		m.travel(m.c.session.Redo, "redid")
	case key.Matches(k, g.Save):
		m.save()
	case key.Matches(k, g.Tab):
		m.switchTab(1)
	case key.Matches(k, g.BackTab):
		m.switchTab(-1)
	case key.Matches(k, g.Jump) && int(k.String()[0]-'1') < len(m.tabs):
		m.stack = nil
		m.tab = int(k.String()[0] - '1') // the number the tab bar shows
	default:
		return nil, false
	}
	m.quitArmed = false
	return nil, true
}

// quit ends the program and any load still running.
func (m *Model) quit() tea.Cmd {
	m.cancel()
	m.quitting = true
	return tea.Quit
}

func (m *Model) switchTab(d int) {
	m.stack = nil
	m.tab = (m.tab + d + len(m.tabs)) % len(m.tabs)
}

// top is the view that takes keys: the picker, else the last page opened, else the tab.
func (m *Model) top() view {
	switch {
	case m.modal != nil:
		return m.modal
	case len(m.stack) > 0:
		return m.stack[len(m.stack)-1]
	default:
		return m.tabs[m.tab]
	}
}

func (m *Model) back() {
	switch {
	case m.modal != nil:
		m.modal, m.onPick = nil, nil
	case len(m.stack) > 0:
		m.stack = m.stack[:len(m.stack)-1]
	}
}

func (m *Model) push(v view) {
	v.refresh(m.c)
	m.stack = append(m.stack, v)
}

// handle carries out what a view asked for.
func (m *Model) handle(in intent) {
	switch in := in.(type) {
	case openService:
		m.push(newServiceView(in.name))
	case openPackage:
		m.push(newPackageView(in.path, m.c.short(in.path)))
	case askMove:
		m.promptMove(in.pkg)
	case askNew:
		m.promptNewService(in.pkg)
	case doKernel:
		m.markKernel(in.pkg)
	case askMerge:
		m.promptMerge(in.service)
	case askRename:
		m.promptRename(in.service)
	case askSplit:
		m.promptSplit(in.service, in.pkgs)
	case picked:
		onPick := m.onPick
		m.modal, m.onPick = nil, nil
		if onPick != nil {
			msg, err := onPick(in.choice)
			if msg != "" || err != nil {
				m.edit(msg, err)
			}
		}
	case cancel:
		m.modal, m.onPick = nil, nil
		m.setStatus("cancelled", false)
	}
}

// promptMove opens the picker of services to move pkg to, scored.
func (m *Model) promptMove(pkg string) {
	from := m.c.where(pkg)
	defer m.scoreMoves(pkg, from)
	m.pick(fmt.Sprintf("Move %s (now in %s) to:", m.c.short(pkg), from), from, true, func(to string) (string, error) {
		if to == newServiceKey {
			m.promptNewService(pkg)
			return "", nil
		}
		return "moved " + m.c.short(pkg) + " to " + to, m.c.session.Move(pkg, to)
	})
}

// promptNewService asks for the name of a new service to move pkg to.
func (m *Model) promptNewService(pkg string) {
	m.ask(fmt.Sprintf("New service for %s: ", m.c.short(pkg)), filepath.Base(pkg), func(name string) (string, error) {
		return "moved " + m.c.short(pkg) + " to new service " + name, m.c.session.MoveToNew(pkg, name)
	})
}

// markKernel marks pkg as kernel (shared library code), warning when it serves routes or owns
// tables; a package that already is kernel is offered a move out instead.
func (m *Model) markKernel(pkg string) {
	pk := m.c.pkgs[pkg]
	if pk.Kernel {
		m.promptMove(pkg)
		return
	}
	routes, tables := len(pk.Routes), len(pk.Tables)
	err := m.c.session.Kernel(pkg)
	m.edit("marked "+m.c.short(pkg)+" as kernel", err)
	if err == nil && routes+tables > 0 {
		// A kernel package is a library: one serving routes or owning tables hides a
		// service's entry point or data in the shared code, and flatters the scores.
		m.setStatus(fmt.Sprintf("marked %s as kernel, but it serves %s and owns %s: a library should do neither (u undoes)", m.c.short(pkg), plural(routes, "route"), plural(tables, "table")), true)
	}
}

// promptMerge opens the picker of services to merge service into.
func (m *Model) promptMerge(service string) {
	m.pick(fmt.Sprintf("Merge %s into:", service), service, false, func(into string) (string, error) {
		err := m.c.session.Merge(service, into)
		if err == nil {
			m.renamePages(service, into)
		}
		return "merged " + service + " into " + into, err
	})
}

// promptRename asks for service's new name.
func (m *Model) promptRename(service string) {
	m.ask(fmt.Sprintf("Rename %s to: ", service), service, func(name string) (string, error) {
		err := m.c.session.Rename(service, name)
		if err == nil {
			m.renamePages(service, name)
		}
		return "renamed " + service + " to " + name, err
	})
}

// promptSplit asks for the name of a new service for the marked packages of service.
func (m *Model) promptSplit(service string, pkgs []string) {
	if len(pkgs) == 0 {
		m.setStatus("mark the packages to split off with space first, then press x", true)
		return
	}
	m.ask(fmt.Sprintf("New service for the %d marked package(s): ", len(pkgs)), service+"-2", func(name string) (string, error) {
		err := m.c.session.Split(service, pkgs, name)
		if err == nil {
			for _, v := range m.stack {
				if sv, ok := v.(*serviceView); ok && sv.name == service {
					clear(sv.sec.lists[secPackages].marks)
				}
			}
		}
		return fmt.Sprintf("split %d package(s) of %s into %s", len(pkgs), service, name), err
	})
}

// scoreMoves shows in the open move picker what moving pkg to each other service would do to
// the scores, the best one selected.
func (m *Model) scoreMoves(pkg, from string) {
	picker := m.modal
	if picker == nil {
		return
	}
	var targets []string
	for _, svc := range m.c.services() {
		if svc != from {
			targets = append(targets, svc)
		}
	}
	outcomes, err := m.c.session.TryMoves(pkg, targets)
	if err != nil {
		m.setStatus(err.Error(), true)
		return
	}
	picker.withOutcomes(m.c.session.Plan().Metrics, outcomes)
}

func (m *Model) pick(title, exclude string, allowNew bool, onPick func(string) (string, error)) {
	m.modal = newPickerView(title, m.c.services(), exclude, allowNew)
	m.onPick = onPick
}

func (m *Model) ask(label, value string, onPrompt func(string) (string, error)) {
	in := newInput()
	in.Prompt = ""
	in.SetValue(value)
	in.CursorEnd()
	in.SetWidth(max(10, m.width-len(label)-2))
	in.Focus()
	m.prompt, m.askLabel, m.onPrompt = &in, label, onPrompt
}

func (m *Model) updatePrompt(msg tea.Msg) tea.Cmd {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch k.String() {
		case "enter":
			value, onPrompt, in := strings.TrimSpace(m.prompt.Value()), m.onPrompt, m.prompt
			m.prompt, m.onPrompt = nil, nil
			msg, err := onPrompt(value)
			m.edit(msg, err)
			if err != nil {
				// Keep the prompt and what was typed, so the name can be corrected rather
				// than typed again; esc still cancels.
				m.prompt, m.onPrompt = in, onPrompt
			}
			return nil
		case "esc":
			m.prompt, m.onPrompt = nil, nil
			m.setStatus("cancelled", false)
			return nil
		}
	}
	in, cmd := m.prompt.Update(msg)
	m.prompt = &in
	m.statusErr = false // typing again: the refusal is answered
	return cmd
}

// edit reports the outcome of an edit and redraws every view from the new scores.
func (m *Model) edit(what string, err error) {
	if err != nil {
		m.setStatus(err.Error(), true)
		return
	}
	m.refresh()
	m.setStatus(what+" · "+m.change(), false)
}

// change sums up how the plan-wide scores moved in the last step.
func (m *Model) change() string {
	now, prev := m.c.session.Summary(), m.c.session.Previous()
	return fmt.Sprintf("Q %.3f→%.3f, ICP %.1f%%→%.1f%%", prev.Metrics.Modularity, now.Metrics.Modularity, 100*prev.Metrics.ICP, 100*now.Metrics.ICP)
}

func (m *Model) travel(f func() (string, error), verb string) {
	what, err := f()
	if err != nil {
		m.setStatus(err.Error(), true)
		return
	}
	m.refresh()
	m.setStatus(verb+": "+what+" · "+m.change(), false)
}

func (m *Model) save() {
	s := m.c.session
	if err := s.Save(m.opts.PlanPath, m.opts.ConfigPath); err != nil {
		m.setStatus(err.Error(), true)
		return
	}
	// File names, not paths: the status line is one line (the paths are in --help and the log).
	msg := "saved " + filepath.Base(m.opts.PlanPath)
	if m.opts.ConfigPath != "" {
		c := s.Constraints()
		msg += fmt.Sprintf(" · %s: %d pin(s), %d kernel", filepath.Base(m.opts.ConfigPath), len(c.Pins), len(c.Kernel))
	}
	m.setStatus(msg, false)
}

// renamePages points open pages of service old at service name.
func (m *Model) renamePages(old, name string) {
	for _, v := range m.stack {
		if sv, ok := v.(*serviceView); ok && sv.name == old {
			sv.name = name
		}
	}
}

// refresh rebuilds every view after a step and closes pages of services that are gone.
func (m *Model) refresh() {
	m.c.reindex()
	for _, v := range m.tabs {
		v.refresh(m.c)
	}
	kept := m.stack[:0]
	for _, v := range m.stack {
		v.refresh(m.c)
		if sv, ok := v.(*serviceView); ok && sv.gone {
			continue
		}
		kept = append(kept, v)
	}
	m.stack = kept
}

func (m *Model) setStatus(s string, isErr bool) { m.status, m.statusErr = s, isErr }

func (m *Model) restyle() {
	m.st = newStyles(m.dark, m.opts.Color)
	m.help.Styles = m.st.help
	if m.c != nil {
		m.c.st = m.st
	}
}

// View draws the screen.
func (m *Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	v.WindowTitle = "carve tui"
	return v
}

// render draws the screen as text; tests compare it with golden files.
func (m *Model) render() string {
	w, h := m.width, m.height
	if w < 40 || h < 10 {
		// Wrapped to the width there is, so that the whole sentence shows.
		msg := fmt.Sprintf("carve tui needs at least 40×10 cells (this terminal is %d×%d)", w, h)
		return lipgloss.NewStyle().Width(max(1, w)).Render(msg)
	}
	if m.c == nil {
		return m.renderLoading()
	}
	lines := []string{m.renderMetrics(w), m.renderTabs(w)}
	bodyH := h - 4
	var body string
	if m.fullHelp {
		hm := m.help
		hm.ShowAll = true
		body = m.st.section.Render("Keys") + "\n\n" + hm.View(m.top().keys(m.c))
	} else {
		body = m.top().render(m.c, w, bodyH)
	}
	lines = append(lines, fit(body, w, bodyH)...)
	lines = append(lines, m.renderStatus(w))
	hm := m.help
	hm.ShowAll = false
	lines = append(lines, cell(hm.View(m.top().keys(m.c)), w, false))
	return strings.Join(lines, "\n")
}

func (m *Model) renderLoading() string {
	src := m.opts.Source
	if src == "" {
		src = "the module"
	}
	line := fmt.Sprintf("%s loading %s", m.spin.View(), src)
	if m.progress.Stage != "" {
		line += " · " + m.progress.Stage
		if m.progress.Total > 0 {
			line += fmt.Sprintf(" %d/%d", m.progress.Done, m.progress.Total)
		}
	}
	lines := []string{m.st.title.Render("carve tui"), "", cell(line, m.width, false), "", m.st.dim.Render("q quits")}
	return strings.Join(fit(strings.Join(lines, "\n"), m.width, m.height), "\n")
}

// renderMetrics is the top line: the plan-wide scores with their change since the last step.
func (m *Model) renderMetrics(w int) string {
	now, prev := m.c.session.Summary(), m.c.session.Previous()
	st := m.st
	show := func(name, value string, d float64, format string, higherBetter bool) string {
		out := name + " " + value
		if ds := delta(d, format); ds != "" {
			good := (d > 0) == higherBetter
			if good {
				out += st.good.Render(ds)
			} else {
				out += st.bad.Render(ds)
			}
		}
		return out
	}
	parts := []string{
		show("Q", fmt.Sprintf("%.3f", now.Metrics.Modularity), now.Metrics.Modularity-prev.Metrics.Modularity, "%.3f", true),
		show("ICP", fmt.Sprintf("%.1f%%", 100*now.Metrics.ICP), 100*(now.Metrics.ICP-prev.Metrics.ICP), "%.1f", false),
		show("IFN", fmt.Sprintf("%.2f", now.Metrics.IFN), now.Metrics.IFN-prev.Metrics.IFN, "%.2f", false),
		show("shared", fmt.Sprint(now.SharedTables), float64(now.SharedTables-prev.SharedTables), "%.0f", false),
		show("x-calls", fmt.Sprint(now.CrossCalls), float64(now.CrossCalls-prev.CrossCalls), "%.0f", false),
	}
	line := strings.Join(parts, "  ")
	if m.c.session.Dirty() {
		mark := "  ● edited"
		if lipgloss.Width(line)+lipgloss.Width(mark) > w {
			mark = " ●"
		}
		line += st.marked.Render(mark)
	}
	return cell(line, w, false)
}

func (m *Model) renderTabs(w int) string {
	var parts []string
	for i, t := range m.tabs {
		label := fmt.Sprintf("%d %s", i+1, t.crumb())
		if i == m.tab {
			parts = append(parts, m.st.tabActive.Render(label))
		} else {
			parts = append(parts, m.st.tab.Render(label))
		}
	}
	line := strings.Join(parts, "  ")
	if len(m.stack) > 0 {
		var crumbs []string
		for _, v := range m.stack {
			crumbs = append(crumbs, v.crumb())
		}
		line += m.st.crumb.Render("  › " + strings.Join(crumbs, " › "))
	}
	return cell(line, w, false)
}

func (m *Model) renderStatus(w int) string {
	if m.prompt != nil {
		line := m.st.prompt.Render(m.askLabel) + m.prompt.View()
		if m.statusErr {
			// Why the last enter was refused, right after the text (the input pads to the width).
			line = m.st.prompt.Render(m.askLabel) + strings.TrimRight(m.prompt.View(), " ") + "  " + m.st.errorText.Render(m.status)
		}
		return cell(line, w, false)
	}
	if m.statusErr {
		return cell(m.st.errorText.Render(m.status), w, false)
	}
	return cell(m.st.status.Render(m.status), w, false)
}

// fit cuts or pads s to exactly h lines of at most w cells.
func fit(s string, w, h int) []string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		lines[i] = cell(l, w, false)
	}
	for len(lines) < h {
		lines = append(lines, cell("", w, false))
	}
	return lines
}

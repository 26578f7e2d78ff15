package tui

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/carve-dev/carve/analyze/plan"
)

// Session is a plan being reshaped: every edit changes where packages sit, rescoring follows,
// and each step can be undone and redone. It knows nothing about the terminal, so the editing
// rules are tested without a UI.
type Session struct {
	plan   *plan.Plan
	score  Scorer
	origin []placement // where each package sat when the session began
	undo   []step
	redo   []step
	prev   Summary     // the scores before the last step, for the deltas
	saved  []placement // where each package sat at the last save (or the start)
}

// placement is where one package sits; a step saves one per package (Packages never changes
// order or length during a session).
type placement struct {
	service string
	kernel  bool
}

// step is one undoable edit: the placements before it and a one-line description.
type step struct {
	before []placement
	what   string
}

// Summary is what the header and the services list compare between steps.
type Summary struct {
	Metrics      plan.Metrics
	Services     map[string]ServiceScore
	SharedTables int
	CrossCalls   int
}

// ServiceScore is the per-service part of a Summary.
type ServiceScore struct {
	Cohesion, Coupling float64
}

// NewSession scores p with score (Rescore when nil) and starts a session over it.
func NewSession(p *plan.Plan, score Scorer) (*Session, error) {
	if score == nil {
		score = Rescore
	}
	if len(p.Packages) == 0 {
		return nil, errors.New("plan has no packages: write it with a carve that records the package graph ('carve analyze -o json')")
	}
	if p.Graph == nil {
		// Without the graph every score would be made up: refuse rather than mislead.
		return nil, errors.New("plan has no package graph (no \"graph\" field): write it again with 'carve analyze -o json'")
	}
	if err := score(p); err != nil {
		return nil, fmt.Errorf("score plan: %w", err)
	}
	s := &Session{plan: p, score: score}
	s.origin = s.placements()
	s.saved = s.origin
	s.prev = s.Summary()
	return s, nil
}

// Plan is the current plan. Callers must not change it; use the edit methods.
func (s *Session) Plan() *plan.Plan { return s.plan }

// Previous is the summary before the last step.
func (s *Session) Previous() Summary { return s.prev }

// Dirty reports whether there are edits since the session began or was last saved.
func (s *Session) Dirty() bool { return !slices.Equal(s.placements(), s.saved) }

// CanUndo and CanRedo report whether there is a step to undo or redo.
func (s *Session) CanUndo() bool { return len(s.undo) > 0 }

// CanRedo reports whether there is an undone step to redo.
func (s *Session) CanRedo() bool { return len(s.redo) > 0 }

// Summary sums up the current scores.
func (s *Session) Summary() Summary {
	sum := Summary{Metrics: s.plan.Metrics, Services: make(map[string]ServiceScore, len(s.plan.Services)), SharedTables: len(s.plan.SharedTables)}
	for _, svc := range s.plan.Services {
		sum.Services[svc.Name] = ServiceScore{svc.Cohesion, svc.Coupling}
	}
	for _, e := range s.plan.Edges {
		sum.CrossCalls += e.Calls
	}
	return sum
}

func (s *Session) placements() []placement {
	out := make([]placement, len(s.plan.Packages))
	for i, p := range s.plan.Packages {
		out[i] = placement{p.Service, p.Kernel}
	}
	return out
}

func (s *Session) restore(pl []placement) {
	for i := range s.plan.Packages {
		s.plan.Packages[i].Service, s.plan.Packages[i].Kernel = pl[i].service, pl[i].kernel
	}
}

// apply runs one edit as an undoable step: it records the placements, lets edit change them,
// rescores, and on any error puts everything back as it was.
func (s *Session) apply(what string, edit func() error) error {
	before := s.placements()
	prev := s.Summary()
	if err := edit(); err != nil {
		s.restore(before)
		return err
	}
	if err := s.score(s.plan); err != nil {
		s.restore(before)
		if err2 := s.score(s.plan); err2 != nil {
			return errors.Join(fmt.Errorf("rescore after %s: %w", what, err), err2)
		}
		return fmt.Errorf("rescore after %s: %w", what, err)
	}
	s.undo = append(s.undo, step{before: before, what: what})
	s.redo = nil
	s.prev = prev
	return nil
}

// Undo reverts the last step and returns its description.
func (s *Session) Undo() (string, error) {
	return s.travel(&s.undo, &s.redo)
}

// Redo applies the last undone step again and returns its description.
func (s *Session) Redo() (string, error) {
	return s.travel(&s.redo, &s.undo)
}

func (s *Session) travel(from, to *[]step) (string, error) {
	if len(*from) == 0 {
		return "", errors.New("nothing to undo or redo")
	}
	st := (*from)[len(*from)-1]
	*from = (*from)[:len(*from)-1]
	prev := s.Summary()
	now := s.placements()
	s.restore(st.before)
	if err := s.score(s.plan); err != nil {
		return "", fmt.Errorf("rescore: %w", err)
	}
	*to = append(*to, step{before: now, what: st.what})
	s.prev = prev
	return st.what, nil
}

func (s *Session) pkgIndex(path string) (int, error) {
	for i := range s.plan.Packages {
		if s.plan.Packages[i].Path == path {
			return i, nil
		}
	}
	return -1, fmt.Errorf("no package %s in the plan", path)
}

func (s *Session) hasService(name string) bool {
	for _, p := range s.plan.Packages {
		if !p.Kernel && p.Service == name {
			return true
		}
	}
	return false
}

// serviceName is what carve.yaml accepts as a service name, so that every edit can be written
// back as a constraint.
var serviceName = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)

// checkName validates a service name typed by the user.
func checkName(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return errors.New("a service needs a name")
	case !serviceName.MatchString(name):
		return fmt.Errorf("service name %q: start with a lower-case letter, then lower-case letters, digits and '-'", name)
	}
	return nil
}

// where maps each package of the plan to its service, "" for the kernel.
func (s *Session) where() map[string]string {
	out := make(map[string]string, len(s.plan.Packages))
	for _, p := range s.plan.Packages {
		out[p.Path] = p.Service
		if p.Kernel {
			out[p.Path] = ""
		}
	}
	return out
}

// Move puts a package into a service, which is created when it does not exist yet. A kernel
// package moved to a service stops being kernel.
func (s *Session) Move(pkg, service string) error {
	if err := checkName(service); err != nil {
		return err
	}
	i, err := s.pkgIndex(pkg)
	if err != nil {
		return err
	}
	p := &s.plan.Packages[i]
	if !p.Kernel && p.Service == service {
		return fmt.Errorf("%s is already in %s", pkg, service)
	}
	what := fmt.Sprintf("move %s to %s", pkg, service)
	if !s.hasService(service) {
		what = fmt.Sprintf("move %s to new service %s", pkg, service)
	}
	return s.apply(what, func() error {
		p.Service, p.Kernel = service, false
		return nil
	})
}

// MoveToNew puts a package into a new service with the given name, which must not exist yet.
func (s *Session) MoveToNew(pkg, service string) error {
	if s.hasService(service) {
		return fmt.Errorf("service %s already exists: pick another name, or move the package into it", service)
	}
	return s.Move(pkg, service)
}

// Kernel marks a package as shared kernel: a library every service links, not part of one.
func (s *Session) Kernel(pkg string) error {
	i, err := s.pkgIndex(pkg)
	if err != nil {
		return err
	}
	p := &s.plan.Packages[i]
	if p.Kernel {
		return fmt.Errorf("%s is already kernel: move it to a service to take it out", pkg)
	}
	return s.apply(fmt.Sprintf("mark %s as kernel", pkg), func() error {
		p.Service, p.Kernel = "", true
		return nil
	})
}

// Merge moves every package of service from into service into.
func (s *Session) Merge(from, into string) error {
	if from == into {
		return fmt.Errorf("cannot merge %s into itself", from)
	}
	for _, n := range []string{from, into} {
		if !s.hasService(n) {
			return fmt.Errorf("no service %s", n)
		}
	}
	return s.apply(fmt.Sprintf("merge %s into %s", from, into), func() error {
		for i := range s.plan.Packages {
			if p := &s.plan.Packages[i]; !p.Kernel && p.Service == from {
				p.Service = into
			}
		}
		return nil
	})
}

// Split moves the given packages of a service into a new service.
func (s *Session) Split(service string, pkgs []string, newName string) error {
	if err := checkName(newName); err != nil {
		return err
	}
	if s.hasService(newName) {
		return fmt.Errorf("service %s already exists: pick another name for the split", newName)
	}
	if len(pkgs) == 0 {
		return fmt.Errorf("mark the packages of %s to split off first (space)", service)
	}
	idx := make([]int, 0, len(pkgs))
	for _, pkg := range pkgs {
		i, err := s.pkgIndex(pkg)
		if err != nil {
			return err
		}
		if p := s.plan.Packages[i]; p.Kernel || p.Service != service {
			return fmt.Errorf("%s is not in %s", pkg, service)
		}
		idx = append(idx, i)
	}
	total := 0
	for _, p := range s.plan.Packages {
		if !p.Kernel && p.Service == service {
			total++
		}
	}
	if len(idx) == total {
		return fmt.Errorf("splitting every package off %s leaves it empty: rename it instead", service)
	}
	return s.apply(fmt.Sprintf("split %d package(s) of %s into %s", len(idx), service, newName), func() error {
		for _, i := range idx {
			s.plan.Packages[i].Service = newName
		}
		return nil
	})
}

// Rename gives a service a new name.
func (s *Session) Rename(old, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	if !s.hasService(old) {
		return fmt.Errorf("no service %s", old)
	}
	if old == name {
		return fmt.Errorf("%s already has that name", old)
	}
	if s.hasService(name) {
		return fmt.Errorf("service %s already exists: merge instead, or pick another name", name)
	}
	err := s.apply(fmt.Sprintf("rename %s to %s", old, name), func() error {
		for i := range s.plan.Packages {
			if p := &s.plan.Packages[i]; !p.Kernel && p.Service == old {
				p.Service = name
			}
		}
		return nil
	})
	if sc, ok := s.prev.Services[old]; ok && err == nil {
		// The same service under a new name: its scores changed by nothing, it is not new.
		s.prev.Services[name] = sc
		delete(s.prev.Services, old)
	}
	return err
}

// Constraints are the edits of a session as carve.yaml constraints: a later 'carve analyze
// --config' keeps them.
type Constraints struct {
	Pins   map[string]string // package → service
	Kernel []string          // packages marked kernel
}

// Constraints returns the session's edits as constraints: every package that sits elsewhere
// than at the start is pinned to its service, every package of a service whose name is new
// (renamed, split off, created) is pinned so the name survives, and packages newly marked as
// kernel are listed as kernel.
func (s *Session) Constraints() Constraints {
	c := Constraints{Pins: map[string]string{}}
	oldNames := map[string]bool{}
	for _, o := range s.origin {
		if !o.kernel && o.service != "" {
			oldNames[o.service] = true
		}
	}
	for i, p := range s.plan.Packages {
		o := s.origin[i]
		switch {
		case p.Kernel && !o.kernel:
			c.Kernel = append(c.Kernel, p.Path)
		case p.Kernel:
		case p.Service != "" && (o.kernel || p.Service != o.service || !oldNames[p.Service]):
			c.Pins[p.Path] = p.Service
		}
	}
	slices.Sort(c.Kernel)
	return c
}

// Saved marks the session as saved.
func (s *Session) Saved() { s.saved = s.placements() }

// Moved reports whether the session moved the package from where the plan it opened put it.
func (s *Session) Moved(path string) bool {
	for i, p := range s.plan.Packages {
		if p.Path == path {
			o := s.origin[i]
			return p.Service != o.service || p.Kernel != o.kernel
		}
	}
	return false
}

// MoveOutcome is what moving a package into a service would do to the plan's scores.
type MoveOutcome struct {
	Service    string
	Modularity float64 // after the move
	ICP        float64
}

// TryMoves scores moving pkg into each of services without changing the session: the move
// picker shows the change each would make and which is best.
func (s *Session) TryMoves(pkg string, services []string) ([]MoveOutcome, error) {
	i, err := s.pkgIndex(pkg)
	if err != nil {
		return nil, err
	}
	out := make([]MoveOutcome, 0, len(services))
	for _, svc := range services {
		q := *s.plan
		q.Packages = slices.Clone(s.plan.Packages)
		q.Packages[i].Service, q.Packages[i].Kernel = svc, false
		if err := s.score(&q); err != nil {
			return nil, fmt.Errorf("score a move of %s to %s: %w", pkg, svc, err)
		}
		out = append(out, MoveOutcome{Service: svc, Modularity: q.Metrics.Modularity, ICP: q.Metrics.ICP})
	}
	return out, nil
}

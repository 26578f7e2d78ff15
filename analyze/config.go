package analyze

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/carve-dev/carve/analyze/cluster"
	"github.com/carve-dev/carve/analyze/graph"

	"go.yaml.in/yaml/v3"
)

// Config is carve.yaml: what the user knows about the module that the code does not say. Every
// constraint is honoured exactly by Propose. See docs/plan.md for the format.
//
//	services:            # pin packages to named services
//	  orders: [example.com/shop/orders, example.com/shop/orders/...]
//	together: [[example.com/shop/cart, example.com/shop/checkout]]
//	apart: [[example.com/shop/users, example.com/shop/auth]]
//	kernel: [example.com/shop/platform/...]
//	roots: [example.com/shop/cmd/all-in-one]    # composition roots: wire several services
//	tools: [example.com/shop/cmd/seed]          # tooling mains: never a service
//	mains: [example.com/shop/tools/importer]    # service mains carve took for tools
//	signals: {imports: 1, calls: 2}
type Config struct {
	// File is the path the config was read from, used in error messages.
	File string
	// Services pins packages to named services, in file order.
	Services []ServicePin
	// Together lists groups of packages that must end up in one service.
	Together []Group
	// Apart lists groups whose members must end up in different services: every package
	// matched by one entry is kept apart from every package matched by another entry.
	Apart []Group
	// Kernel lists packages that are shared library, not part of any service.
	Kernel []Pattern
	// Roots lists composition roots: mains or routers that wire several services in one
	// process. They and the mains that build them are left out of every service.
	Roots []Pattern
	// Tools lists tooling mains (generators, test harnesses, examples): never a service.
	Tools []Pattern
	// Mains lists mains that are services, for a service main carve took for a tool.
	Mains []Pattern
	// Signals overrides signal weights (see DefaultSignals); 0 turns a signal off.
	Signals map[string]float64
}

// ServicePin names a service and the packages that must be in it.
type ServicePin struct {
	Name     string
	Line     int
	Packages []Pattern
}

// Group is a list of package patterns on one line of carve.yaml.
type Group struct {
	Line     int
	Packages []Pattern
}

// Pattern is an import path, or an import path followed by "/..." which matches the package and
// every package below it.
type Pattern struct {
	Path string
	Line int
}

// Match reports whether the pattern matches the import path p.
func (pt Pattern) Match(p string) bool {
	if prefix, ok := strings.CutSuffix(pt.Path, "/..."); ok {
		return p == prefix || strings.HasPrefix(p, prefix+"/")
	}
	return p == pt.Path
}

var serviceNameRE = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)

// configKeys are the top-level keys of carve.yaml, in the order the docs give them.
var configKeys = []string{"services", "together", "apart", "kernel", "roots", "tools", "mains", "signals"}

// LoadConfig reads and checks carve.yaml. Unknown keys, values of the wrong shape and
// contradictions visible in the file itself are errors naming the line; constraints that depend
// on the module (a pattern that matches no package) are checked when Propose applies them.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return ParseConfig(path, data)
}

// ParseConfig parses carve.yaml from data; name is used in error messages.
func ParseConfig(name string, data []byte) (*Config, error) {
	c := &Config{File: name}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return c, nil // an empty file is an empty config
		}
		return nil, fmt.Errorf("%s: not valid YAML: %w", name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s:%d: a second YAML document: carve.yaml holds one document; remove the '---' and what follows", name, extra.Line)
	}
	if len(doc.Content) == 0 {
		return c, nil
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return c, nil
	}
	p := configParser{file: name}
	if root.Kind != yaml.MappingNode {
		return nil, p.errf(root, "the top level must be a mapping with keys %s", strings.Join(configKeys, ", "))
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if l, dup := seen[k.Value]; dup {
			p.add(p.errf(k, "key %q appears twice (first at line %d); merge them", k.Value, l))
			continue
		}
		seen[k.Value] = k.Line
		switch k.Value {
		case "services":
			c.Services = p.services(v)
		case "together":
			c.Together = p.groups(v, "together")
		case "apart":
			c.Apart = p.groups(v, "apart")
		case "kernel":
			c.Kernel = p.patterns(v, "kernel")
		case "roots":
			c.Roots = p.patterns(v, "roots")
		case "tools":
			c.Tools = p.patterns(v, "tools")
		case "mains":
			c.Mains = p.patterns(v, "mains")
		case "signals":
			c.Signals = p.signals(v)
		default:
			p.add(p.errf(k, "unknown key %q: carve.yaml has %s", k.Value, strings.Join(configKeys, ", ")))
		}
	}
	if len(p.errs) == 0 {
		p.checkLiterals(c)
	}
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	return c, nil
}

// configParser collects every error of a file rather than stopping at the first.
type configParser struct {
	file string
	errs []error
}

func (p *configParser) errf(n *yaml.Node, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s", p.file, n.Line, fmt.Sprintf(format, args...))
}

func (p *configParser) add(err error) { p.errs = append(p.errs, err) }

func (p *configParser) services(n *yaml.Node) []ServicePin {
	if n.Kind != yaml.MappingNode {
		p.add(p.errf(n, "services must map a service name to a list of packages, e.g. orders: [example.com/shop/orders/...]"))
		return nil
	}
	var out []ServicePin
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !serviceNameRE.MatchString(k.Value) {
			p.add(p.errf(k, "service name %q must start with a lower-case letter and hold only lower-case letters, digits and '-'", k.Value))
			continue
		}
		if l, dup := seen[k.Value]; dup {
			p.add(p.errf(k, "service %q is pinned twice (first at line %d); list all its packages once", k.Value, l))
			continue
		}
		seen[k.Value] = k.Line
		pats := p.patterns(v, "services."+k.Value)
		if len(pats) == 0 && v.Kind == yaml.SequenceNode {
			p.add(p.errf(v, "services.%s lists no package; name at least one or remove the service", k.Value))
		}
		out = append(out, ServicePin{Name: k.Value, Line: k.Line, Packages: pats})
	}
	return out
}

func (p *configParser) groups(n *yaml.Node, key string) []Group {
	if n.Kind != yaml.SequenceNode {
		p.add(p.errf(n, "%s must be a list of lists of packages, e.g. %s: [[example.com/a, example.com/b]]", key, key))
		return nil
	}
	var out []Group
	for _, g := range n.Content {
		pats := p.patterns(g, key)
		if g.Kind == yaml.SequenceNode && len(pats) < 2 {
			p.add(p.errf(g, "each %s entry needs at least two packages", key))
			continue
		}
		out = append(out, Group{Line: g.Line, Packages: pats})
	}
	return out
}

func (p *configParser) patterns(n *yaml.Node, key string) []Pattern {
	if n.Kind != yaml.SequenceNode {
		p.add(p.errf(n, "%s must be a list of import paths, e.g. [example.com/shop/orders, example.com/shop/orders/...]", key))
		return nil
	}
	var out []Pattern
	for _, e := range n.Content {
		if e.Kind != yaml.ScalarNode || e.Tag != "!!str" {
			p.add(p.errf(e, "%s: %q is not an import path; write a string such as example.com/shop/orders", key, e.Value))
			continue
		}
		s := strings.TrimSpace(e.Value)
		switch {
		case s == "":
			p.add(p.errf(e, "%s: empty import path", key))
			continue
		case strings.Contains(strings.TrimSuffix(s, "/..."), "..."), strings.ContainsAny(s, " \t*?"):
			p.add(p.errf(e, "%s: %q is not an import path pattern; use a full import path, optionally ending in /...", key, s))
			continue
		case strings.HasPrefix(s, "./") || strings.HasPrefix(s, "/"):
			p.add(p.errf(e, "%s: %q is a directory; write the import path (e.g. example.com/shop/orders)", key, s))
			continue
		}
		out = append(out, Pattern{Path: s, Line: e.Line})
	}
	return out
}

func (p *configParser) signals(n *yaml.Node) map[string]float64 {
	if n.Kind != yaml.MappingNode {
		p.add(p.errf(n, "signals must map a signal name to a weight, e.g. signals: {calls: 2, imports: 0.5}"))
		return nil
	}
	out := map[string]float64{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !graph.KnownSignal(k.Value) {
			p.add(p.errf(k, "unknown signal %q: the signals are %s", k.Value, strings.Join(graph.SignalOrder[:], ", ")))
			continue
		}
		var w float64
		if v.Kind != yaml.ScalarNode || (v.Tag != "!!int" && v.Tag != "!!float") || v.Decode(&w) != nil {
			p.add(p.errf(v, "signals.%s: %q is not a number; write a weight such as 1 or 0.5", k.Value, v.Value))
			continue
		}
		if w < 0 || w != w || w > 1e6 {
			p.add(p.errf(v, "signals.%s: weight %v must be between 0 and 1e6 (0 turns the signal off)", k.Value, w))
			continue
		}
		out[k.Value] = w
	}
	return out
}

// checkLiterals finds contradictions visible in the file alone: one literal path pinned to two
// services, or kept together and apart.
func (p *configParser) checkLiterals(c *Config) {
	pinnedAt := map[string]struct {
		svc  string
		line int
	}{}
	for _, s := range c.Services {
		for _, pt := range s.Packages {
			if prev, ok := pinnedAt[pt.Path]; ok && prev.svc != s.Name {
				p.add(fmt.Errorf("%s:%d: %s is pinned to service %q here and to %q at line %d; pin it once", c.File, pt.Line, pt.Path, s.Name, prev.svc, prev.line))
				continue
			}
			pinnedAt[pt.Path] = struct {
				svc  string
				line int
			}{s.Name, pt.Line}
		}
	}
	for _, k := range c.Kernel {
		if prev, ok := pinnedAt[k.Path]; ok {
			p.add(fmt.Errorf("%s:%d: %s is marked kernel here and pinned to service %q at line %d; a package is either kernel or in a service", c.File, k.Line, k.Path, prev.svc, prev.line))
		}
	}
}

// resolve expands the config's patterns against the module's packages and checks that the
// constraints can all hold together.
func (c *Config) resolve(paths []string) (*cluster.Constraints, error) {
	n := len(paths)
	r := &cluster.Constraints{Pin: make([]string, n), PinLine: make([]int, n), Kernel: make([]bool, n), Root: make([]bool, n), Tool: make([]bool, n), Main: make([]bool, n)}
	if c == nil {
		return r, nil
	}
	file := c.File
	if file == "" {
		file = "carve.yaml"
	}
	var errs []error
	match := func(pt Pattern, key string) []int {
		var out []int
		for i, p := range paths {
			if pt.Match(p) {
				out = append(out, i)
			}
		}
		if len(out) == 0 {
			errs = append(errs, fmt.Errorf("%s:%d: %s: %s matches no package of the module; check the import path or remove it", file, pt.Line, key, pt.Path))
		}
		return out
	}
	for _, role := range []struct {
		key  string
		pats []Pattern
		set  []bool
	}{{"roots", c.Roots, r.Root}, {"tools", c.Tools, r.Tool}, {"mains", c.Mains, r.Main}} {
		for _, pt := range role.pats {
			for _, i := range match(pt, role.key) {
				role.set[i] = true
			}
		}
	}
	kernelLine := make([]int, n)
	for _, k := range c.Kernel {
		for _, i := range match(k, "kernel") {
			r.Kernel[i] = true
			kernelLine[i] = k.Line
		}
	}
	for _, s := range c.Services {
		for _, pt := range s.Packages {
			for _, i := range match(pt, "services."+s.Name) {
				switch {
				case r.Pin[i] != "" && r.Pin[i] != s.Name:
					errs = append(errs, fmt.Errorf("%s:%d: %s is pinned to service %q here and to %q at line %d; pin it to one service", file, pt.Line, paths[i], s.Name, r.Pin[i], r.PinLine[i]))
				case r.Kernel[i]:
					errs = append(errs, fmt.Errorf("%s:%d: %s is pinned to service %q here and marked kernel at line %d; a package is either kernel or in a service", file, pt.Line, paths[i], s.Name, kernelLine[i]))
				default:
					r.Pin[i] = s.Name
					r.PinLine[i] = pt.Line
				}
			}
		}
	}
	// Union-find over together groups and pins, to see what must share a service.
	parent := make([]int, n)
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	union := func(a, b int) { parent[find(a)] = find(b) }
	togetherLine := make([]int, n)
	for _, g := range c.Together {
		var members []int
		for _, pt := range g.Packages {
			for _, i := range match(pt, "together") {
				if r.Kernel[i] {
					errs = append(errs, fmt.Errorf("%s:%d: together: %s is marked kernel at line %d; kernel packages are in no service", file, pt.Line, paths[i], kernelLine[i]))
					continue
				}
				members = append(members, i)
				togetherLine[i] = g.Line
			}
		}
		slices.Sort(members)
		members = slices.Compact(members)
		for _, m := range members[min(1, len(members)):] {
			union(members[0], m)
		}
		if len(members) > 1 {
			r.Together = append(r.Together, members)
		}
	}
	byName := map[string]int{}
	for i, s := range r.Pin {
		if s == "" {
			continue
		}
		if j, ok := byName[s]; ok {
			union(j, i)
		} else {
			byName[s] = i
		}
	}
	// Two different pins in one together-set cannot both hold.
	setPin := map[int]int{}
	for i, s := range r.Pin {
		if s == "" {
			continue
		}
		root := find(i)
		if j, ok := setPin[root]; ok && r.Pin[j] != s {
			errs = append(errs, fmt.Errorf("%s:%d: %s is pinned to %q but must be together with %s, which is pinned to %q at line %d; the two services cannot both hold", file, r.PinLine[i], paths[i], s, paths[j], r.Pin[j], r.PinLine[j]))
			continue
		}
		setPin[root] = i
	}
	for _, g := range c.Apart {
		sides := make([][]int, len(g.Packages))
		for k, pt := range g.Packages {
			for _, i := range match(pt, "apart") {
				if r.Kernel[i] {
					errs = append(errs, fmt.Errorf("%s:%d: apart: %s is marked kernel at line %d; kernel packages are in no service, so keeping them apart means nothing", file, pt.Line, paths[i], kernelLine[i]))
					continue
				}
				sides[k] = append(sides[k], i)
			}
		}
		seen := map[[2]int]bool{}
		for x := range sides {
			for y := x + 1; y < len(sides); y++ {
				for _, a := range sides[x] {
					for _, b := range sides[y] {
						if a == b {
							errs = append(errs, fmt.Errorf("%s:%d: apart: %s is matched by both %s and %s; it cannot be apart from itself", file, g.Line, paths[a], g.Packages[x].Path, g.Packages[y].Path))
							continue
						}
						pair := [2]int{min(a, b), max(a, b)}
						if seen[pair] {
							continue
						}
						seen[pair] = true
						if find(a) == find(b) {
							why := "kept together"
							if r.Pin[a] != "" && r.Pin[a] == r.Pin[b] {
								why = fmt.Sprintf("both pinned to service %q", r.Pin[a])
							} else if togetherLine[a] > 0 || togetherLine[b] > 0 {
								why = fmt.Sprintf("kept together (line %d)", max(togetherLine[a], togetherLine[b]))
							}
							errs = append(errs, fmt.Errorf("%s:%d: apart: %s and %s must be apart here but are %s; remove one of the two constraints", file, g.Line, paths[a], paths[b], why))
							continue
						}
						r.Apart = append(r.Apart, pair)
						r.ApartLine = append(r.ApartLine, g.Line)
					}
				}
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return r, nil
}

// signalWeights merges the defaults, the config's signals and the caller's, in that order.
func signalWeights(cfg *Config, opts map[string]float64) (map[string]float64, error) {
	w := graph.DefaultSignals()
	if cfg != nil {
		maps.Copy(w, cfg.Signals)
	}
	for _, s := range slices.Sorted(maps.Keys(opts)) {
		v := opts[s]
		if !graph.KnownSignal(s) {
			return nil, fmt.Errorf("unknown signal %q: the signals are %s", s, strings.Join(graph.SignalOrder[:], ", "))
		}
		if v < 0 || v != v {
			return nil, fmt.Errorf("signal %s: weight %v must be 0 or more (0 turns the signal off)", s, v)
		}
		w[s] = v
	}
	return w, nil
}

package analyze

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/carve-dev/carve/analyze/cluster"
	"github.com/carve-dev/carve/analyze/graph"
	"github.com/carve-dev/carve/analyze/internal/unionfind"
	"github.com/carve-dev/carve/internal/yamlcfg"

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

// UnmarshalYAML reads a pattern from a YAML string, keeping its line for messages.
func (pt *Pattern) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		return fmt.Errorf("%q is not an import path; write a string such as example.com/shop/orders", n.Value)
	}
	*pt = Pattern{Path: strings.TrimSpace(n.Value), Line: n.Line}
	return nil
}

// configFile is carve.yaml as written (docs/plan.md documents every key); ParseConfig turns it
// into a Config whose groups and services keep their lines, and the services their file order.
type configFile struct {
	Services map[string][]Pattern `yaml:"services"`
	Together [][]Pattern          `yaml:"together"`
	Apart    [][]Pattern          `yaml:"apart"`
	Kernel   []Pattern            `yaml:"kernel"`
	Roots    []Pattern            `yaml:"roots"`
	Tools    []Pattern            `yaml:"tools"`
	Mains    []Pattern            `yaml:"mains"`
	Signals  map[string]float64   `yaml:"signals"`
}

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

// ParseConfig parses carve.yaml from data; name is used in error messages. An empty file is an
// empty config. The error lists every problem of the file, one a line, as
// "file:line: path: what to do".
func ParseConfig(name string, data []byte) (*Config, error) {
	var f configFile
	doc := yamlcfg.Decode(name, data, &f, yamlcfg.Options{Docs: "docs/plan.md"})
	if doc.Failed() {
		return nil, doc.Err()
	}
	c := &Config{File: name, Together: groups(doc, "together", f.Together), Apart: groups(doc, "apart", f.Apart),
		Kernel: f.Kernel, Roots: f.Roots, Tools: f.Tools, Mains: f.Mains, Signals: f.Signals}
	line := func(svc string) int { return doc.Line(yamlcfg.Join("services", svc)) }
	for _, svc := range slices.SortedFunc(maps.Keys(f.Services), func(a, b string) int { return line(a) - line(b) }) {
		c.Services = append(c.Services, ServicePin{Name: svc, Line: line(svc), Packages: f.Services[svc]})
	}
	c.validate(doc)
	if err := doc.Err(); err != nil {
		return nil, err
	}
	return c, nil
}

func groups(doc *yamlcfg.Doc, key string, lists [][]Pattern) []Group {
	var out []Group
	for i, l := range lists {
		out = append(out, Group{Line: doc.Line(yamlcfg.Index(key, i)), Packages: l})
	}
	return out
}

var serviceNameRE = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)

// validate records the problems visible in the file alone, each on its line. It only reads.
func (c *Config) validate(doc *yamlcfg.Doc) {
	for _, s := range c.Services {
		at := yamlcfg.Join("services", s.Name)
		if !serviceNameRE.MatchString(s.Name) {
			doc.AddAt(s.Line, at, "service name %q must start with a lower-case letter and hold only lower-case letters, digits and '-'", s.Name)
		}
		if len(s.Packages) == 0 {
			doc.AddAt(s.Line, at, "lists no package; name at least one or remove the service")
		}
		checkPatterns(doc, at, s.Packages)
	}
	for _, key := range []string{"together", "apart"} {
		gs := c.Together
		if key == "apart" {
			gs = c.Apart
		}
		for i, g := range gs {
			if len(g.Packages) < 2 {
				doc.AddAt(g.Line, yamlcfg.Index(key, i), "each %s entry needs at least two packages", key)
			}
			checkPatterns(doc, yamlcfg.Index(key, i), g.Packages)
		}
	}
	for _, role := range c.roles() {
		checkPatterns(doc, role.key, role.pats)
	}
	for _, s := range slices.Sorted(maps.Keys(c.Signals)) {
		switch w := c.Signals[s]; {
		case !graph.KnownSignal(s):
			doc.Add(yamlcfg.Join("signals", s), "unknown signal %q: the signals are %s", s, strings.Join(graph.SignalOrder[:], ", "))
		case w < 0 || w != w || w > 1e6:
			doc.Add(yamlcfg.Join("signals", s), "weight %v must be between 0 and 1e6 (0 turns the signal off)", w)
		}
	}
	c.checkLiterals(doc)
}

// role is a list of packages with one role: kernel, roots, tools or mains.
type role struct {
	key  string
	pats []Pattern
}

func (c *Config) roles() []role {
	return []role{{"kernel", c.Kernel}, {"roots", c.Roots}, {"tools", c.Tools}, {"mains", c.Mains}}
}

// checkPatterns records the entries of the list at path that are not import path patterns.
func checkPatterns(doc *yamlcfg.Doc, path string, pats []Pattern) {
	for i, pt := range pats {
		at, s := yamlcfg.Index(path, i), pt.Path
		switch {
		case s == "":
			doc.AddAt(pt.Line, at, "empty import path")
		case strings.Contains(strings.TrimSuffix(s, "/..."), "..."), strings.ContainsAny(s, " \t*?"):
			doc.AddAt(pt.Line, at, "%q is not an import path pattern; use a full import path, optionally ending in /...", s)
		case strings.HasPrefix(s, "./") || strings.HasPrefix(s, "/"):
			doc.AddAt(pt.Line, at, "%q is a directory; write the import path (e.g. example.com/shop/orders)", s)
		}
	}
}

// checkLiterals finds contradictions visible in the file alone: one literal path pinned to two
// services, or pinned and kernel.
func (c *Config) checkLiterals(doc *yamlcfg.Doc) {
	type pin struct {
		svc  string
		line int
	}
	pinnedAt := map[string]pin{}
	for _, s := range c.Services {
		for _, pt := range s.Packages {
			if prev, ok := pinnedAt[pt.Path]; ok && prev.svc != s.Name {
				doc.AddAt(pt.Line, "", "%s is pinned to service %q here and to %q at line %d; pin it once", pt.Path, s.Name, prev.svc, prev.line)
				continue
			}
			pinnedAt[pt.Path] = pin{s.Name, pt.Line}
		}
	}
	for _, k := range c.Kernel {
		if prev, ok := pinnedAt[k.Path]; ok {
			doc.AddAt(k.Line, "", "%s is marked kernel here and pinned to service %q at line %d; a package is either kernel or in a service", k.Path, prev.svc, prev.line)
		}
	}
}

// resolve expands the config's patterns against the module's packages and checks that the
// constraints can all hold together: roles first, then pins, then what must share a service
// (together groups and pins of one name), then what must not (apart groups).
func (c *Config) resolve(paths []string) (*cluster.Constraints, error) {
	n := len(paths)
	r := &cluster.Constraints{Pin: make([]string, n), PinLine: make([]int, n), Kernel: make([]bool, n), Root: make([]bool, n), Tool: make([]bool, n), Main: make([]bool, n)}
	if c == nil {
		return r, nil
	}
	rs := &resolver{c: c, paths: paths, r: r, file: cmp.Or(c.File, "carve.yaml"), kernelLine: make([]int, n), togetherLine: make([]int, n), sets: unionfind.New(n)}
	rs.roles()
	rs.pins()
	rs.together()
	rs.pinsAgree()
	for _, g := range c.Apart {
		rs.apart(g)
	}
	if len(rs.errs) > 0 {
		return nil, errors.Join(rs.errs...)
	}
	return r, nil
}

// resolver holds what resolve learns on its way.
type resolver struct {
	c     *Config
	paths []string
	r     *cluster.Constraints
	file  string
	errs  []error
	// kernelLine and togetherLine are the lines that made a package kernel or kept it together.
	kernelLine, togetherLine []int
	// sets joins the packages that must share a service.
	sets unionfind.Sets
}

func (rs *resolver) errf(line int, format string, args ...any) {
	rs.errs = append(rs.errs, fmt.Errorf("%s:%d: %s", rs.file, line, fmt.Sprintf(format, args...)))
}

// match returns the packages pt matches; none is an error.
func (rs *resolver) match(pt Pattern, key string) []int {
	var out []int
	for i, p := range rs.paths {
		if pt.Match(p) {
			out = append(out, i)
		}
	}
	if len(out) == 0 {
		rs.errf(pt.Line, "%s: %s matches no package of the module; check the import path or remove it", key, pt.Path)
	}
	return out
}

// roles marks kernel packages, composition roots, tools and mains.
func (rs *resolver) roles() {
	sets := map[string][]bool{"kernel": rs.r.Kernel, "roots": rs.r.Root, "tools": rs.r.Tool, "mains": rs.r.Main}
	for _, role := range rs.c.roles() {
		for _, pt := range role.pats {
			for _, i := range rs.match(pt, role.key) {
				sets[role.key][i] = true
				if role.key == "kernel" {
					rs.kernelLine[i] = pt.Line
				}
			}
		}
	}
}

// pins pins packages to their services; a package pinned twice, or pinned and kernel, is an
// error.
func (rs *resolver) pins() {
	r := rs.r
	for _, s := range rs.c.Services {
		for _, pt := range s.Packages {
			for _, i := range rs.match(pt, "services."+s.Name) {
				switch {
				case r.Pin[i] != "" && r.Pin[i] != s.Name:
					rs.errf(pt.Line, "%s is pinned to service %q here and to %q at line %d; pin it to one service", rs.paths[i], s.Name, r.Pin[i], r.PinLine[i])
				case r.Kernel[i]:
					rs.errf(pt.Line, "%s is pinned to service %q here and marked kernel at line %d; a package is either kernel or in a service", rs.paths[i], s.Name, rs.kernelLine[i])
				default:
					r.Pin[i], r.PinLine[i] = s.Name, pt.Line
				}
			}
		}
	}
}

// together joins each together group, and the packages pinned to one service.
func (rs *resolver) together() {
	for _, g := range rs.c.Together {
		var members []int
		for _, pt := range g.Packages {
			for _, i := range rs.match(pt, "together") {
				if rs.r.Kernel[i] {
					rs.errf(pt.Line, "together: %s is marked kernel at line %d; kernel packages are in no service", rs.paths[i], rs.kernelLine[i])
					continue
				}
				members = append(members, i)
				rs.togetherLine[i] = g.Line
			}
		}
		slices.Sort(members)
		members = slices.Compact(members)
		for _, m := range members[min(1, len(members)):] {
			rs.sets.Union(members[0], m)
		}
		if len(members) > 1 {
			rs.r.Together = append(rs.r.Together, members)
		}
	}
	byName := map[string]int{}
	for i, s := range rs.r.Pin {
		if s == "" {
			continue
		}
		if j, ok := byName[s]; ok {
			rs.sets.Union(j, i)
		} else {
			byName[s] = i
		}
	}
}

// pinsAgree finds two different pins that must share a service: they cannot both hold.
func (rs *resolver) pinsAgree() {
	r := rs.r
	setPin := map[int]int{}
	for i, s := range r.Pin {
		if s == "" {
			continue
		}
		root := rs.sets.Find(i)
		if j, ok := setPin[root]; ok && r.Pin[j] != s {
			rs.errf(r.PinLine[i], "%s is pinned to %q but must be together with %s, which is pinned to %q at line %d; the two services cannot both hold", rs.paths[i], s, rs.paths[j], r.Pin[j], r.PinLine[j])
			continue
		}
		setPin[root] = i
	}
}

// apart keeps every package matched by one entry of g apart from every package matched by
// another, unless they must share a service.
func (rs *resolver) apart(g Group) {
	sides := make([][]int, len(g.Packages))
	for k, pt := range g.Packages {
		for _, i := range rs.match(pt, "apart") {
			if rs.r.Kernel[i] {
				rs.errf(pt.Line, "apart: %s is marked kernel at line %d; kernel packages are in no service, so keeping them apart means nothing", rs.paths[i], rs.kernelLine[i])
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
						rs.errf(g.Line, "apart: %s is matched by both %s and %s; it cannot be apart from itself", rs.paths[a], g.Packages[x].Path, g.Packages[y].Path)
						continue
					}
					pair := [2]int{min(a, b), max(a, b)}
					if !seen[pair] {
						seen[pair] = true
						rs.apartPair(g, pair)
					}
				}
			}
		}
	}
}

// apartPair keeps the two packages of pair apart, or says why they cannot be.
func (rs *resolver) apartPair(g Group, pair [2]int) {
	a, b := pair[0], pair[1]
	if rs.sets.Find(a) != rs.sets.Find(b) {
		rs.r.Apart = append(rs.r.Apart, pair)
		rs.r.ApartLine = append(rs.r.ApartLine, g.Line)
		return
	}
	why := "kept together"
	if p := rs.r.Pin[a]; p != "" && p == rs.r.Pin[b] {
		why = fmt.Sprintf("both pinned to service %q", p)
	} else if rs.togetherLine[a] > 0 || rs.togetherLine[b] > 0 {
		why = fmt.Sprintf("kept together (line %d)", max(rs.togetherLine[a], rs.togetherLine[b]))
	}
	rs.errf(g.Line, "apart: %s and %s must be apart here but are %s; remove one of the two constraints", rs.paths[a], rs.paths[b], why)
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

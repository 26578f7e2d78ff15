// Package plan is the one contract between carve's parts: the proposed services of a monolith,
// the routes and tables each owns, the tables they share and the calls that would become network
// calls. It is a versioned JSON document ("schema": "carve.plan/v1"), documented in docs/plan.md.
package plan

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// Schema is the version written into every plan; Read refuses any other.
const Schema = "carve.plan/v1"

// Plan is a proposed decomposition of a module into services.
type Plan struct {
	Schema   string   `json:"schema"`
	Module   string   `json:"module"`            // module path (the first, in a workspace)
	Modules  []string `json:"modules,omitempty"` // every module analysed, in a workspace
	Settings Settings `json:"settings"`

	Services []Service `json:"services"`
	Kernel   []string  `json:"kernel"` // shared library packages: not a service
	// Wiring lists the composition roots left out of every service: the mains and routers that
	// wire several services in one process, and what only they use. Extracting a service
	// rewrites their wiring; their calls never become network calls.
	Wiring []string `json:"wiring,omitempty"`
	// Tools lists the tooling mains (code generators, test harnesses, examples, dev tools) and
	// what only they use: built from the module, but never a service.
	Tools        []string      `json:"tools,omitempty"`
	SharedTables []SharedTable `json:"shared_tables"` // tables touched by more than one service
	Edges        []Edge        `json:"edges"`         // service→service dependencies
	Metrics      Metrics       `json:"metrics"`

	// Packages and Graph are the package-level picture the services were made from; tools that
	// edit a plan (tui) recompute every score from them without loading the module again.
	Packages []Package     `json:"packages"`
	Graph    []PackageEdge `json:"graph"`
	Warnings []string      `json:"warnings,omitempty"` // packages that failed to load, etc.

	// Topics and AsyncEdges are the module's messaging (issue 13): who publishes and who
	// consumes each topic, and the service→service async edges they make. An async edge is an
	// event contract, never a call that becomes a network call.
	Topics     []Topic     `json:"topics,omitempty"`
	AsyncEdges []AsyncEdge `json:"async_edges,omitempty"`
	// Coverage lists the frameworks recognised and the routing, data and messaging call sites
	// that could not be read; absent in plans written before it existed.
	Coverage *Coverage `json:"coverage,omitempty"`
}

// Settings records how the plan was made, so that it can be made again.
type Settings struct {
	Seed       int64              `json:"seed"`
	Resolution float64            `json:"resolution"`
	Services   int                `json:"services,omitempty"` // requested count; 0: what modularity picks
	Signals    map[string]float64 `json:"signals"`            // signal name → weight
	// Contract is the factor applied to couplings through another package's contract (DTO,
	// client, interface) rather than its implementation.
	Contract float64 `json:"contract,omitempty"`
	// KernelShare is the share of the module's packages that must use a package for it to be
	// detected as shared kernel.
	KernelShare float64 `json:"kernel_share,omitempty"`
}

// Service is one proposed service.
type Service struct {
	Name     string   `json:"name"`
	Packages []string `json:"packages"`
	Routes   []Route  `json:"routes"`
	Tables   []Table  `json:"tables"`
	// Cohesion is the share of the coupling weight of the service's packages that stays inside
	// the service (1: self-contained).
	Cohesion float64 `json:"cohesion"`
	// Coupling is the share of that weight that crosses to other services (0: independent).
	Coupling float64 `json:"coupling"`
	// Publishes and Consumes are the service's event contracts: the topics its packages
	// publish to and consume from.
	Publishes []TopicRef `json:"publishes,omitempty"`
	Consumes  []TopicRef `json:"consumes,omitempty"`
}

// Route is an HTTP route a service serves.
type Route struct {
	Method  string `json:"method,omitempty"` // empty: any method
	Pattern string `json:"pattern"`
	Host    string `json:"host,omitempty"`
	Handler string `json:"handler"`
	Package string `json:"package"`
	Site    string `json:"site,omitempty"` // file:line of the registration
	// Router is the library the route is registered with ("chi", "gin", "net/http", ...);
	// "grpc" for a gRPC service, whose pattern is the prefix /package.Service/.
	Router string `json:"router,omitempty"`
	// PrefixUnresolved is true when the route is mounted under a prefix carve could not
	// resolve: Pattern lacks it, and PrefixExpr is the expression of that prefix.
	PrefixUnresolved bool   `json:"prefix_unresolved,omitempty"`
	PrefixExpr       string `json:"prefix_expr,omitempty"`
}

// Coverage says what the analyzer recognised in the module and what it saw but could not read,
// so that a reader knows what the plan does not know.
type Coverage struct {
	Frameworks []Framework  `json:"frameworks"`
	Unresolved []Unresolved `json:"unresolved,omitempty"`
}

// Framework is a library recognised in the module.
type Framework struct {
	Name string `json:"name"` // e.g. "chi", "gin", "grpc"
	Kind string `json:"kind"` // "router", "grpc", "data" or "messaging"
	Uses int    `json:"uses"` // routes, services, tables or topics read through it
}

// Unresolved is a call site that looks like routing, data access or messaging but could not be
// read completely.
type Unresolved struct {
	Kind string `json:"kind"` // "router", "grpc", "data" or "messaging"
	Site string `json:"site"` // file:line
	Call string `json:"call"` // the call as written, shortened
	Why  string `json:"why"`
}

// Table is a table a service reads or writes.
type Table struct {
	Name        string   `json:"name"`
	Store       string   `json:"store"`  // "dynamodb" or "sql"
	Access      string   `json:"access"` // "read", "write" or "readwrite"
	KeyPrefixes []string `json:"key_prefixes,omitempty"`
	// KeyAttributes maps a key prefix to the attributes the code writes it to, where that shows
	// (e.g. "ORDER#": ["pk"], "ITEM#": ["sk"]).
	KeyAttributes map[string][]string `json:"key_attributes,omitempty"`
}

// SharedTable is a table touched by more than one service.
type SharedTable struct {
	Name     string          `json:"name"`
	Store    string          `json:"store"`
	Services []TableAccessor `json:"services"`
}

// TableAccessor is one service's access to a shared table.
type TableAccessor struct {
	Service string `json:"service"`
	Access  string `json:"access"`
}

// Edge is a dependency of one service on another: the calls that would become network calls.
type Edge struct {
	From  string   `json:"from"`
	To    string   `json:"to"`
	Calls int      `json:"calls"` // static call sites from From into To
	Refs  int      `json:"refs"`  // other couplings: type use, state, implements
	Sites []string `json:"sites"` // example call sites, file:line
}

// Metrics score the plan as a whole.
type Metrics struct {
	Modularity float64 `json:"modularity"` // Newman's Q on the weighted package graph
	ICP        float64 `json:"icp"`        // inter-partition call percentage, 0..1
	IFN        float64 `json:"ifn"`        // interface number: mean packages per service used from outside
	// ModularityAll and ICPAll are Q and ICP over every package, the kernel a group of its own:
	// coupling hidden in the kernel counts against the plan here.
	ModularityAll float64 `json:"modularity_all"`
	ICPAll        float64 `json:"icp_all"`
	// KernelPackages and KernelLines are the kernel's share of the module's packages and lines.
	KernelPackages float64 `json:"kernel_packages"`
	KernelLines    float64 `json:"kernel_lines"`
	// ARI and MoJoFM (with a truth file) are over every package the truth names, the kernel
	// one group and the truth's "shared" packages one group: the same as ARIFull, MoJoFMFull.
	ARI    *float64 `json:"ari,omitempty"`
	MoJoFM *float64 `json:"mojofm,omitempty"`
	// ARIStrict and MoJoFMStrict are over the packages the truth gives a service label only.
	ARIStrict    *float64 `json:"ari_strict,omitempty"`
	MoJoFMStrict *float64 `json:"mojofm_strict,omitempty"`
	// ARIFull and MoJoFMFull are over the strict packages and the truth's shared ones.
	ARIFull    *float64 `json:"ari_full,omitempty"`
	MoJoFMFull *float64 `json:"mojofm_full,omitempty"`
}

// Package is one package of the module and where the plan puts it.
type Package struct {
	Path    string `json:"path"`
	Service string `json:"service,omitempty"` // empty for kernel packages
	Kernel  bool   `json:"kernel,omitempty"`
	Main    bool   `json:"main,omitempty"`
	// Wiring marks a composition root: a main package or a router that wires several services
	// together. It sits with one service, but its calls into the others are wiring, rewritten
	// when a service is extracted, not calls that become network calls.
	Wiring bool `json:"wiring,omitempty"`
	// Tool marks a tooling main or a package only tools use; it is in no service.
	Tool bool `json:"tool,omitempty"`
	// Why says which structural rule placed the package (a service main, below a service's
	// directory, built only by one service, shared by several, ...); empty when coupling did.
	Why    string  `json:"why,omitempty"`
	Lines  int     `json:"lines"`
	Routes []Route `json:"routes,omitempty"` // routes whose handler is in this package
	Tables []Table `json:"tables,omitempty"` // tables this package reads or writes
	// Topics are the topics this package publishes to or consumes from.
	Topics []PackageTopic `json:"topics,omitempty"`
}

// PackageEdge is the coupling between two packages, by signal.
type PackageEdge struct {
	From    string             `json:"from"`
	To      string             `json:"to"`
	Weight  float64            `json:"weight"`  // combined weight used for clustering
	Signals map[string]float64 `json:"signals"` // raw count per signal
	Calls   int                `json:"calls,omitempty"`
	Sites   []string           `json:"sites,omitempty"`
}

// New returns an empty plan with the schema set.
func New(module string) *Plan {
	return &Plan{Schema: Schema, Module: module, Services: []Service{}, Kernel: []string{}, SharedTables: []SharedTable{}, Edges: []Edge{}, Packages: []Package{}, Graph: []PackageEdge{}}
}

// Write encodes p as indented JSON.
func (p *Plan) Write(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(p)
}

// Read decodes a plan and checks its schema and consistency.
func Read(r io.Reader) (*Plan, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var p Plan
	if err := dec.Decode(&p); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("plan is not valid JSON at byte %d: %w", se.Offset, err)
		}
		return nil, fmt.Errorf("plan: %w", err)
	}
	if p.Schema != Schema {
		if p.Schema == "" {
			return nil, fmt.Errorf("plan has no \"schema\": is it a plan written by 'carve analyze -o json'?")
		}
		return nil, fmt.Errorf("plan schema %q is not supported: this carve reads %q", p.Schema, Schema)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

// ReadFile reads the plan in the named file.
func ReadFile(name string) (*Plan, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return p, nil
}

// Validate checks that service names are unique and non-empty and that every package belongs to
// at most one service.
func (p *Plan) Validate() error {
	names := map[string]bool{}
	owner := map[string]string{}
	for i, s := range p.Services {
		if s.Name == "" {
			return fmt.Errorf("plan: services[%d] has no name", i)
		}
		if names[s.Name] {
			return fmt.Errorf("plan: service %q appears twice", s.Name)
		}
		names[s.Name] = true
		for _, pkg := range s.Packages {
			if o, ok := owner[pkg]; ok {
				return fmt.Errorf("plan: package %s is in both services %q and %q", pkg, o, s.Name)
			}
			owner[pkg] = s.Name
		}
	}
	for _, k := range p.Kernel {
		if o, ok := owner[k]; ok {
			return fmt.Errorf("plan: package %s is both kernel and in service %q", k, o)
		}
	}
	return nil
}

// Service returns the named service, or nil.
func (p *Plan) Service(name string) *Service {
	for i := range p.Services {
		if p.Services[i].Name == name {
			return &p.Services[i]
		}
	}
	return nil
}

// ErrUnknownService is returned by Find when the plan has no service of the asked name.
var ErrUnknownService = errors.New("unknown service")

// Find returns the named service, or an error wrapping ErrUnknownService that lists the
// plan's services.
func (p *Plan) Find(name string) (*Service, error) {
	if s := p.Service(name); s != nil {
		return s, nil
	}
	return nil, fmt.Errorf("%w %q: the plan has %s", ErrUnknownService, name, strings.Join(p.ServiceNames(), ", "))
}

// Move puts the package at path into the named service, or into the kernel when service is "".
// It changes only p.Packages: call analyze.Score afterwards to bring the services, edges and
// metrics up to date.
func (p *Plan) Move(path, service string) error {
	for i := range p.Packages {
		if p.Packages[i].Path == path {
			p.Packages[i].Service = service
			p.Packages[i].Kernel = service == ""
			return nil
		}
	}
	return fmt.Errorf("plan has no package %s", path)
}

// ServiceNames returns the services' names, sorted.
func (p *Plan) ServiceNames() []string {
	out := make([]string, 0, len(p.Services))
	for _, s := range p.Services {
		out = append(out, s.Name)
	}
	sort.Strings(out)
	return out
}

// Messaging (issue 13).

// TopicRef names a topic of a messaging system.
type TopicRef struct {
	Name   string `json:"name"`
	System string `json:"system"` // "bus", "nats", "amqp", "kafka", "sns", "sqs", "pubsub", "watermill"
}

// String is "system:name".
func (t TopicRef) String() string { return t.System + ":" + t.Name }

// PackageTopic is a package's use of a topic.
type PackageTopic struct {
	Name   string   `json:"name"`
	System string   `json:"system"`
	Role   string   `json:"role"` // "publish" or "consume"
	Sites  []string `json:"sites,omitempty"`
}

// Topic is a topic of the module, with the packages that publish to and consume from it.
type Topic struct {
	Name       string   `json:"name"`
	System     string   `json:"system"`
	Publishers []string `json:"publishers"` // package import paths
	Consumers  []string `json:"consumers"`
	Sites      []string `json:"sites,omitempty"` // example sites, file:line
}

// AsyncEdge is one service publishing topics another service consumes: an event contract
// between them. It is drawn dashed, weighs less than a sync dependency in clustering, and is
// never counted as calls.
type AsyncEdge struct {
	From   string   `json:"from"`   // publishing service
	To     string   `json:"to"`     // consuming service
	Topics []string `json:"topics"` // "system:name", sorted
}

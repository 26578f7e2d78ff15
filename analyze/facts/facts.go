// Package facts holds what the analyzer finds in a module before it proposes anything: its
// packages, the weighted dependencies between them per signal, the routes they serve and the
// tables they touch. Facts are cached on disk between runs, so they are plain data.
package facts

import (
	"fmt"
	"slices"
	"sort"
)

// Signal names, as used in Dep.Signal, in --signals and in the plan's package graph.
const (
	SignalImports    = "imports"    // package A imports package B
	SignalCalls      = "calls"      // static call sites in A whose callee is declared in B
	SignalTypes      = "types"      // A uses a type declared in B (fields, embedding, params, conversions)
	SignalImplements = "implements" // a type in A implements an interface declared in B
	SignalState      = "state"      // A reads or writes a package-level variable of B
	SignalData       = "data"       // A and B touch the same database table (derived from TableUse)
	SignalCoChange   = "cochange"   // A and B change in the same git commits
	// SignalMessaging: A publishes to a topic B consumes (derived from TopicUse): an async edge.
	SignalMessaging = "messaging"
)

// Site is a place in the module's source: a path relative to the module root and a line.
type Site struct {
	File string `json:"file"`
	Line int    `json:"line"`
}

func (s Site) String() string { return fmt.Sprintf("%s:%d", s.File, s.Line) }

// MaxSites is how many example sites a Dep, TableUse or edge keeps.
const MaxSites = 5

// Dep is one directed coupling between two of the module's packages found by one signal.
type Dep struct {
	From   string // import path of the package that depends
	To     string // import path of the package depended upon
	Signal string // one of the Signal* names
	// Count is how many times the coupling occurs: call sites, type references, variable
	// accesses; 1 for an import; shared commits for co-change.
	Count int
	// Contract is true when the coupling goes through a contract of To rather than its
	// implementation: a DTO or message type, a client, an interface. Contract couplings bind two
	// packages less than implementation couplings.
	Contract bool
	// Writes is how many of Count are writes, for the state signal (assignments to B's
	// package-level variables); 0 for other signals.
	Writes int
	Sites  []Site // up to MaxSites examples
}

// Access says how a package uses a table.
type Access string

// Table access kinds.
const (
	Read      Access = "read"
	Write     Access = "write"
	ReadWrite Access = "readwrite"
)

// Merge returns the access that covers both a and b.
func (a Access) Merge(b Access) Access {
	switch {
	case a == "":
		return b
	case b == "" || a == b:
		return a
	default:
		return ReadWrite
	}
}

// TableUse is a package's use of a database table.
type TableUse struct {
	Package string
	Table   string
	Store   string // "dynamodb" or "sql"
	Access  Access
	// KeyPrefixes are the literal partition-key prefixes (e.g. "ORDER#") the package writes or
	// queries in a single-table design, when they can be seen.
	KeyPrefixes []string
	// KeyAttributes says, for a key prefix, the attributes it was written to where the code
	// shows it (a map literal entry such as "pk": ...): "ITEM#" on "sk" is a sort-key prefix.
	KeyAttributes map[string][]string
	Sites         []Site
}

// MergeKeyAttributes adds src's prefix → attributes to dst (allocated when nil), keeping each
// list sorted and without repeats, and returns dst.
func MergeKeyAttributes(dst, src map[string][]string) map[string][]string {
	for p, attrs := range src {
		if dst == nil {
			dst = map[string][]string{}
		}
		for _, a := range attrs {
			if !slices.Contains(dst[p], a) {
				dst[p] = append(dst[p], a)
			}
		}
		slices.Sort(dst[p])
	}
	return dst
}

// RouteDecl is an HTTP route the module serves, attributed to the package of its handler.
type RouteDecl struct {
	Package string // package of the handler
	Method  string // "" for any method
	Pattern string // path pattern, e.g. "/orders/{id}"
	Host    string // host part of a ServeMux pattern, if any
	Handler string // handler's qualified name, e.g. "example.com/shop/orders.(*Handler).Get"
	Router  string // "net/http", "chi", "gorilla/mux", "gin", "echo", "fiber", "httprouter", "go-swagger", "grpc"
	Site    Site   // where the route is registered
	// PrefixUnresolved is the expression of a path prefix the route is mounted under that could
	// not be resolved to a constant (a prefix read from the environment, a router of unknown
	// origin): Pattern then lacks that prefix. Empty when the full path is known.
	PrefixUnresolved string
}

// PackageInfo describes one of the module's own packages.
type PackageInfo struct {
	Path  string // import path
	Name  string // package name
	Dir   string // directory relative to the module (or workspace) root
	Main  bool   // package main: an entry point
	Files int    // Go files (tests excluded)
	Lines int    // lines of Go (tests excluded)
	// Imports are the package's direct imports (tests excluded), sorted: the module's own
	// packages and others. The structural evidence (mains, roots, builds) is read from them.
	Imports []string
	// Generated is true when every non-test file is generated code ("// Code generated ... DO
	// NOT EDIT."): API stubs, which belong with the service that implements their server.
	Generated bool     `json:",omitempty"`
	Errors    []string // load, parse and type errors; the package is analysed as far as it could be
}

// Facts is what loading and the signals learn about a module. It is the input of clustering.
type Facts struct {
	Modules  []string // module paths (several in a go.work workspace)
	Root     string   // absolute directory analysed
	Packages []PackageInfo
	Deps     []Dep
	Tables   []TableUse
	Routes   []RouteDecl
	// Topics and Buses are what the messaging signal finds (issue 13): who publishes to and
	// consumes from which topic, and the module's own in-process event bus packages.
	Topics []TopicUse
	Buses  []string
	// Coverage says which frameworks the signals recognised and what they saw but could not
	// resolve.
	Coverage Coverage
	// Signals names the signals that were collected, so that a plan records the weights of those
	// only; nil when unknown (facts built by hand), and then every weight is recorded.
	Signals []string
}

// MergeStrings returns the sorted union of a and b without duplicates.
func MergeStrings(a, b []string) []string {
	if len(a) == 0 && len(b) == 0 {
		return nil
	}
	out := append(slices.Clone(a), b...)
	sort.Strings(out)
	return slices.Compact(out)
}

// Messaging (issue 13): topics, subjects and queues published and consumed.

// Topic roles.
const (
	Publish = "publish"
	Consume = "consume"
)

// TopicUse is a package's publishing to or consuming from a topic (a subject, queue, stream or
// routing key) of a messaging system.
type TopicUse struct {
	Package string
	Topic   string
	// System is the messaging system: "bus" (an in-process bus of the module), "nats", "amqp",
	// "kafka", "sns", "sqs", "pubsub" or "watermill".
	System string
	Role   string // Publish or Consume
	Sites  []Site
}

// Framework kinds, as in Framework.Kind and Unresolved.Kind.
const (
	KindRouter    = "router"    // an HTTP router or server framework
	KindGRPC      = "grpc"      // a gRPC server
	KindData      = "data"      // a database or data-access library
	KindMessaging = "messaging" // a message bus, broker or queue client
)

// Coverage is what the signals recognised and what they could not read: the part of the module
// the facts do not describe.
type Coverage struct {
	Frameworks []Framework
	Unresolved []Unresolved
}

// Framework is a library the signals recognised in the module, by the import path of the
// functions called.
type Framework struct {
	Name string // e.g. "chi", "gin", "grpc"
	Kind string // one of the Kind* names
	// Uses is how many routes, services, tables or topics were read through it.
	Uses int
}

// Unresolved is a call site that looks like a route, query or message but could not be read
// completely: the plan does not know what it does.
type Unresolved struct {
	Kind string // one of the Kind* names
	Site Site
	Call string // the call as written, shortened
	Why  string // what could not be resolved
}

// Add counts uses of a framework, adding it when new.
func (c *Coverage) Add(name, kind string, uses int) {
	for i := range c.Frameworks {
		if c.Frameworks[i].Name == name && c.Frameworks[i].Kind == kind {
			c.Frameworks[i].Uses += uses
			return
		}
	}
	c.Frameworks = append(c.Frameworks, Framework{Name: name, Kind: kind, Uses: uses})
}

// Merge adds o's frameworks and unresolved sites to c.
func (c *Coverage) Merge(o Coverage) {
	for _, fw := range o.Frameworks {
		c.Add(fw.Name, fw.Kind, fw.Uses)
	}
	c.Unresolved = append(c.Unresolved, o.Unresolved...)
}

// Sort orders the frameworks by kind and name and the unresolved sites by place, without
// repeats.
func (c *Coverage) Sort() {
	sort.Slice(c.Frameworks, func(i, j int) bool {
		a, b := c.Frameworks[i], c.Frameworks[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.Name < b.Name
	})
	sort.Slice(c.Unresolved, func(i, j int) bool {
		a, b := c.Unresolved[i], c.Unresolved[j]
		if a.Site.File != b.Site.File {
			return a.Site.File < b.Site.File
		}
		if a.Site.Line != b.Site.Line {
			return a.Site.Line < b.Site.Line
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.Call+a.Why < b.Call+b.Why
	})
	c.Unresolved = slices.Compact(c.Unresolved)
}

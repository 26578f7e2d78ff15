package route

import (
	"fmt"
	"net/http"
	"net/textproto"
	"sort"
	"strings"
)

// Spec is one route's match as the config states it.
type Spec struct {
	// Route is the index the table returns when this spec matches.
	Route int
	// Patterns are ServeMux patterns; Where[i] names Patterns[i] in errors (e.g. a config path).
	Patterns []string
	Where    []string
	// Hosts restrict patterns without a host of their own.
	Hosts []string
	// Headers must all be present with these exact values.
	Headers map[string]string
}

type header struct {
	key string // canonical
	val string
}

type entry struct {
	pat     *Pattern
	host    string
	headers []header
	route   int
	where   string
}

// Table is a compiled route table: safe for concurrent use, never modified after Compile.
type Table struct {
	hosted []entry // entries with a host, most specific first
	any    []entry // entries without a host, most specific first
}

// ConflictError says two patterns of different routes can match the same request and
// neither is more specific, so which route wins would be arbitrary.
type ConflictError struct {
	Where, Other     string
	Pattern, OtherPt string
	Duplicate        bool
}

func (e *ConflictError) Error() string {
	if e.Duplicate {
		return fmt.Sprintf("pattern %q matches exactly the same requests as %q (%s): remove one or add a header condition to one", e.Pattern, e.OtherPt, e.Other)
	}
	return fmt.Sprintf("pattern %q conflicts with %q (%s): both match some requests and neither is more specific; make one narrower", e.Pattern, e.OtherPt, e.Other)
}

// WhereError wraps an error about the spec pattern at Where.
type WhereError struct {
	Where string
	Err   error
}

func (e *WhereError) Error() string { return e.Where + ": " + e.Err.Error() }
func (e *WhereError) Unwrap() error { return e.Err }

// Compile builds a table from specs, refusing bad patterns and conflicts between routes.
func Compile(specs []Spec) (*Table, error) {
	var all []entry
	for _, s := range specs {
		hs := make([]header, 0, len(s.Headers))
		for k, v := range s.Headers {
			hs = append(hs, header{key: textproto.CanonicalMIMEHeaderKey(k), val: v})
		}
		sort.Slice(hs, func(i, j int) bool { return hs[i].key < hs[j].key })
		for i, raw := range s.Patterns {
			where := raw
			if i < len(s.Where) {
				where = s.Where[i]
			}
			p, err := ParsePattern(raw)
			if err != nil {
				return nil, &WhereError{Where: where, Err: err}
			}
			hosts := []string{p.host}
			if p.host == "" && len(s.Hosts) > 0 {
				hosts = hosts[:0]
				for _, h := range s.Hosts {
					hosts = append(hosts, strings.ToLower(h))
				}
			}
			for _, h := range hosts {
				all = append(all, entry{pat: p, host: h, headers: hs, route: s.Route, where: where})
			}
		}
	}
	t := &Table{}
	var hosted, anyHost []entry
	for _, e := range all {
		if e.host != "" {
			hosted = append(hosted, e)
		} else {
			anyHost = append(anyHost, e)
		}
	}
	var err error
	if t.hosted, err = order(hosted); err != nil {
		return nil, err
	}
	if t.any, err = order(anyHost); err != nil {
		return nil, err
	}
	return t, nil
}

// relate compares two entries with the same host: ServeMux's method and path relation, and
// for equivalent patterns the header conditions (a superset is more specific).
func relate(a, b *entry) relationship {
	if a.host != b.host {
		return disjoint
	}
	r := compare(a.pat, b.pat)
	if r != equivalent {
		return r
	}
	ab, ba := subset(b.headers, a.headers), subset(a.headers, b.headers)
	switch {
	case ab && ba:
		return equivalent
	case ab:
		return moreSpecific
	case ba:
		return moreGeneral
	}
	return overlaps
}

// subset reports whether every condition of small is in big.
func subset(small, big []header) bool {
	for _, s := range small {
		found := false
		for _, b := range big {
			if b == s {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// order sorts entries so that an entry comes before every entry it is more specific than
// (a topological order of the specificity relation), refusing conflicts between routes.
func order(es []entry) ([]entry, error) {
	n := len(es)
	after := make([][]int, n) // after[i]: entries that must come after i
	indeg := make([]int, n)
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			switch relate(&es[i], &es[j]) {
			case moreSpecific:
				after[i] = append(after[i], j)
				indeg[j]++
			case moreGeneral:
				after[j] = append(after[j], i)
				indeg[i]++
			case equivalent, overlaps:
				if es[i].route == es[j].route {
					continue // same route either way
				}
				return nil, &WhereError{Where: es[j].where, Err: &ConflictError{
					Where: es[j].where, Other: es[i].where, Pattern: es[j].pat.raw, OtherPt: es[i].pat.raw,
					Duplicate: relate(&es[i], &es[j]) == equivalent,
				}}
			}
		}
	}
	out := make([]entry, 0, n)
	var ready []int
	for i := n - 1; i >= 0; i-- {
		if indeg[i] == 0 {
			ready = append(ready, i)
		}
	}
	for len(ready) > 0 {
		i := ready[len(ready)-1]
		ready = ready[:len(ready)-1]
		out = append(out, es[i])
		for _, j := range after[i] {
			if indeg[j]--; indeg[j] == 0 {
				ready = append(ready, j)
			}
		}
	}
	return out, nil
}

// Headers gives the matcher a request's header values, whatever the front end that read them.
type Headers interface {
	// Has reports whether the request has header key (canonical form) with value val.
	Has(key, val string) bool
}

// StdHeaders are net/http's headers as Headers (a map: converting allocates nothing).
type StdHeaders http.Header

// Has reports whether any of key's values is val.
func (h StdHeaders) Has(key, val string) bool {
	for _, v := range h[key] {
		if v == val {
			return true
		}
	}
	return false
}

// Match returns the route index of the most specific entry matching r, or -1. Patterns with a
// host that matches win over patterns without one, as in ServeMux. It allocates nothing.
func (t *Table) Match(r *http.Request) int {
	return t.MatchWith(r.Method, r.Host, r.URL.Path, StdHeaders(r.Header))
}

// MatchParts is Match for a method, host and path without headers (fuzzing, tools): entries
// that need a header do not match.
func (t *Table) MatchParts(method, host, path string) int {
	return t.MatchWith(method, host, path, nil)
}

// MatchWith is Match for a request given as its method, Host header, (decoded) path and
// headers; with nil headers, entries that need a header do not match.
func (t *Table) MatchWith(method, host, path string, h Headers) int {
	host = stripPort(host)
	if host != "" && len(t.hosted) > 0 {
		for i := range t.hosted {
			e := &t.hosted[i]
			if len(e.host) == len(host) && strings.EqualFold(e.host, host) && e.match(method, path, h) {
				return e.route
			}
		}
	}
	for i := range t.any {
		if e := &t.any[i]; e.match(method, path, h) {
			return e.route
		}
	}
	return -1
}

func (e *entry) match(method, path string, h Headers) bool {
	if !e.pat.matchMethod(method) || !e.pat.matchPath(path) {
		return false
	}
	if len(e.headers) > 0 && h == nil {
		return false
	}
	for _, hd := range e.headers {
		if !h.Has(hd.key, hd.val) {
			return false
		}
	}
	return true
}

// stripPort removes a :port from a Host header value, keeping IPv6 brackets' contents.
func stripPort(h string) string {
	if h == "" {
		return h
	}
	if h[0] == '[' {
		if i := strings.IndexByte(h, ']'); i > 0 {
			return h[1:i]
		}
		return h
	}
	if i := strings.LastIndexByte(h, ':'); i >= 0 && strings.IndexByte(h, ':') == i {
		return h[:i]
	}
	return h
}

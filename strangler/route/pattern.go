// Package route matches requests to routes with the pattern semantics of Go 1.22's
// net/http.ServeMux — "[METHOD ][HOST]/PATH" with {name}, {name...}, {$} and trailing-slash
// prefixes, the most specific pattern winning — plus exact header conditions. A Table is
// compiled once per config and matching a request allocates nothing.
package route

import (
	"fmt"
	"net/url"
	"strings"
)

// segKind is what one path segment of a pattern matches.
type segKind uint8

const (
	segLit   segKind = iota // a literal segment
	segWild                 // {name}: any one non-empty segment
	segMulti                // {name...} or a trailing slash: the rest of the path, at least "/"
	segSlash                // {$}: exactly a trailing slash
)

type segment struct {
	kind segKind
	lit  string
}

// Pattern is a parsed ServeMux pattern.
type Pattern struct {
	raw    string
	method string // "" for any
	host   string // lower-case, "" for any
	segs   []segment
}

// String returns the pattern as written.
func (p *Pattern) String() string { return p.raw }

// ParsePattern parses s with the syntax of net/http.ServeMux patterns.
func ParsePattern(s string) (*Pattern, error) {
	p := &Pattern{raw: s}
	rest := strings.TrimLeft(s, " \t")
	if i := strings.IndexAny(rest, " \t"); i >= 0 {
		p.method, rest = rest[:i], strings.TrimLeft(rest[i:], " \t")
		if !validMethod(p.method) {
			return nil, fmt.Errorf("bad pattern %q: %q is not an HTTP method", s, p.method)
		}
	}
	if rest == "" {
		return nil, fmt.Errorf("bad pattern %q: empty path: write e.g. /orders/", s)
	}
	i := strings.IndexByte(rest, '/')
	if i < 0 {
		return nil, fmt.Errorf("bad pattern %q: the path must start with /", s)
	}
	var err error
	if p.host, err = parseHost(s, rest[:i]); err != nil {
		return nil, err
	}
	if p.segs, err = parsePath(s, rest[i:]); err != nil {
		return nil, err
	}
	return p, nil
}

// parseHost checks the host part of pattern s and returns it in lower case ("" for any host).
func parseHost(s, host string) (string, error) {
	host = strings.ToLower(host)
	if strings.ContainsAny(host, "{} \t") {
		return "", fmt.Errorf("bad pattern %q: wildcards and spaces are not allowed in the host", s)
	}
	if strings.Contains(host, ":") && !strings.HasPrefix(host, "[") {
		return "", fmt.Errorf("bad pattern %q: hosts match without the port; drop %q", s, host[strings.IndexByte(host, ':'):])
	}
	return host, nil
}

// parsePath parses the path of pattern s, which starts with "/", into its segments.
func parsePath(s, path string) ([]segment, error) {
	if strings.ContainsAny(path, " \t") {
		return nil, fmt.Errorf("bad pattern %q: spaces in the path", s)
	}
	var segs []segment
	seen := map[string]bool{}
	for path = path[1:]; ; {
		if path == "" {
			// A trailing slash (or the root "/") matches every path under it.
			return append(segs, segment{kind: segMulti}), nil
		}
		seg, rest, more := strings.Cut(path, "/")
		path = rest
		g, err := parseSegment(s, seg, !more, seen)
		if err != nil {
			return nil, err
		}
		segs = append(segs, g)
		if !more {
			return segs, nil
		}
	}
}

// parseSegment parses one path segment of pattern s: a literal or a whole-segment wildcard.
// last says whether it ends the pattern; seen holds the wildcard names met so far.
func parseSegment(s, seg string, last bool, seen map[string]bool) (segment, error) {
	if !strings.ContainsAny(seg, "{}") {
		lit, err := url.PathUnescape(seg)
		if err != nil {
			return segment{}, fmt.Errorf("bad pattern %q: bad escape in %q", s, seg)
		}
		return segment{kind: segLit, lit: lit}, nil
	}
	if len(seg) < 2 || seg[0] != '{' || seg[len(seg)-1] != '}' || strings.ContainsAny(seg[1:len(seg)-1], "{}") {
		return segment{}, fmt.Errorf("bad pattern %q: a wildcard must be a whole segment like {id}", s)
	}
	name := seg[1 : len(seg)-1]
	if name == "$" {
		if !last {
			return segment{}, fmt.Errorf("bad pattern %q: {$} must end the pattern", s)
		}
		return segment{kind: segSlash}, nil
	}
	g := segment{kind: segWild}
	if multi, ok := strings.CutSuffix(name, "..."); ok {
		name = multi
		if !last {
			return segment{}, fmt.Errorf("bad pattern %q: {%s...} must end the pattern", s, name)
		}
		g.kind = segMulti
	}
	if !isIdent(name) {
		return segment{}, fmt.Errorf("bad pattern %q: wildcard name %q is not a Go identifier", s, name)
	}
	if seen[name] {
		return segment{}, fmt.Errorf("bad pattern %q: wildcard %q appears twice", s, name)
	}
	seen[name] = true
	return g, nil
}

func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for i := 0; i < len(m); i++ {
		c := m[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9' || r > 127) {
			return false
		}
	}
	return true
}

// relationship of the sets of requests two patterns match, as in net/http.
type relationship uint8

const (
	equivalent relationship = iota
	moreGeneral
	moreSpecific
	disjoint
	overlaps
)

func inverse(r relationship) relationship {
	switch r {
	case moreGeneral:
		return moreSpecific
	case moreSpecific:
		return moreGeneral
	}
	return r
}

func combine(r1, r2 relationship) relationship {
	switch r1 {
	case equivalent:
		return r2
	case disjoint:
		return disjoint
	case overlaps:
		if r2 == disjoint {
			return disjoint
		}
		return overlaps
	default: // moreGeneral, moreSpecific
		switch r2 {
		case equivalent:
			return r1
		case inverse(r1):
			return overlaps
		default:
			return r2
		}
	}
}

// compare relates the method and path of p1 to those of p2 (hosts are handled by the table).
func compare(p1, p2 *Pattern) relationship {
	return combine(compareMethods(p1.method, p2.method), comparePaths(p1, p2))
}

func compareMethods(m1, m2 string) relationship {
	switch {
	case m1 == m2:
		return equivalent
	case m1 == "":
		return moreGeneral
	case m2 == "":
		return moreSpecific
	case m1 == "GET" && m2 == "HEAD":
		return moreGeneral // GET also matches HEAD
	case m1 == "HEAD" && m2 == "GET":
		return moreSpecific
	}
	return disjoint
}

func comparePaths(p1, p2 *Pattern) relationship {
	s1, s2 := p1.segs, p2.segs
	last1, last2 := s1[len(s1)-1].kind == segMulti, s2[len(s2)-1].kind == segMulti
	if len(s1) != len(s2) && !last1 && !last2 {
		return disjoint
	}
	rel := equivalent
	for ; len(s1) > 0 && len(s2) > 0; s1, s2 = s1[1:], s2[1:] {
		rel = combine(rel, compareSegments(s1[0], s2[0]))
		if rel == disjoint {
			return rel
		}
	}
	switch {
	case len(s1) == 0 && len(s2) == 0:
		return rel
	case len(s1) < len(s2) && last1:
		return combine(rel, moreGeneral)
	case len(s2) < len(s1) && last2:
		return combine(rel, moreSpecific)
	}
	return disjoint
}

func compareSegments(a, b segment) relationship {
	switch {
	case a.kind == segMulti && b.kind == segMulti:
		return equivalent
	case a.kind == segMulti:
		return moreGeneral
	case b.kind == segMulti:
		return moreSpecific
	case a.kind == segWild && b.kind == segWild:
		return equivalent
	case a.kind == segWild:
		if b.kind == segSlash {
			return disjoint // a single wildcard never matches a trailing slash
		}
		return moreGeneral
	case b.kind == segWild:
		if a.kind == segSlash {
			return disjoint
		}
		return moreSpecific
	case a.kind == segSlash && b.kind == segSlash:
		return equivalent
	case a.kind == segSlash || b.kind == segSlash:
		return disjoint
	case a.lit == b.lit:
		return equivalent
	}
	return disjoint
}

// matchPath reports whether path matches the pattern's segments. It allocates nothing.
func (p *Pattern) matchPath(path string) bool {
	if path == "" || path[0] != '/' {
		return false
	}
	n := len(path)
	pos := 1 // start of the next segment; n+1 once the path is used up
	for _, s := range p.segs {
		if pos > n {
			return false
		}
		if s.kind == segMulti {
			return true
		}
		// Take the next segment; at the very end of a path ending in '/' it is the slash.
		var seg string
		slash := pos == n
		if slash {
			pos = n + 1
		} else {
			j := strings.IndexByte(path[pos:], '/')
			if j < 0 {
				seg, pos = path[pos:], n+1
			} else {
				seg, pos = path[pos:pos+j], pos+j+1
			}
		}
		switch s.kind {
		case segSlash:
			if !slash {
				return false
			}
		case segWild:
			if slash || seg == "" {
				return false
			}
		default:
			if slash || seg != s.lit {
				return false
			}
		}
	}
	return pos > n
}

func (p *Pattern) matchMethod(m string) bool {
	return p.method == "" || p.method == m || p.method == "GET" && m == "HEAD"
}

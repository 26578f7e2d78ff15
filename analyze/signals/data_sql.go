package signals

import (
	"strings"
	"unicode"

	"github.com/carve-dev/carve/analyze/facts"
)

// sqlRef is a table named in a SQL statement and how the statement uses it.
type sqlRef struct {
	table  string
	access facts.Access
}

// sqlKeywords are words that cannot be a table name or an alias, and that, before a '(',
// open a subquery or a list rather than a function call.
var sqlKeywords = map[string]bool{
	"select": true, "from": true, "join": true, "where": true, "on": true, "using": true, "as": true,
	"and": true, "or": true, "not": true, "in": true, "exists": true, "any": true, "all": true,
	"values": true, "into": true, "set": true, "update": true, "delete": true, "insert": true,
	"merge": true, "with": true, "recursive": true, "union": true, "intersect": true, "except": true,
	"group": true, "order": true, "by": true, "having": true, "limit": true, "offset": true,
	"returning": true, "left": true, "right": true, "inner": true, "outer": true, "full": true,
	"cross": true, "natural": true, "lateral": true, "only": true, "for": true, "of": true,
	"nowait": true, "skip": true, "locked": true, "share": true, "do": true, "nothing": true,
	"conflict": true, "cascade": true, "restrict": true, "when": true, "then": true, "else": true,
	"end": true, "case": true, "matched": true, "is": true, "null": true, "like": true,
	"between": true, "distinct": true, "window": true, "fetch": true, "ignore": true, "table": true,
}

// parseSQL returns the tables a SQL statement reads and writes, in order of appearance. It is
// a scanner, not a parser: it knows where table names stand (after FROM, JOIN, INTO, UPDATE,
// USING), skips FROM inside function calls (EXTRACT(YEAR FROM t)), and drops the names of
// common table expressions. Text that is not SQL yields nothing.
func parseSQL(q string) []sqlRef {
	toks := sqlTokens(q)
	if len(toks) == 0 {
		return nil
	}
	switch strings.ToLower(toks[0]) {
	case "select", "insert", "update", "delete", "with", "merge", "replace", "(":
	default:
		return nil
	}
	sc := &sqlScan{toks: toks, lower: make([]string, len(toks))}
	for i, t := range toks {
		sc.lower[i] = strings.ToLower(t)
	}
	sc.ctes = sc.cteNames()
	for i := range sc.lower {
		sc.step(i)
	}
	return sc.refs
}

// sqlScan is one statement being scanned: its tokens (as written and lower-cased), the names of
// its common table expressions, the tables found so far, and for each open '(' whether it is a
// function call's.
type sqlScan struct {
	toks, lower []string
	ctes        map[string]bool
	refs        []sqlRef
	parens      []bool
}

// cteNames returns the names defined by WITH name AS (...).
func (sc *sqlScan) cteNames() map[string]bool {
	ctes := map[string]bool{}
	for i := 0; i+2 < len(sc.lower); i++ {
		if sc.lower[i+1] == "as" && sc.lower[i+2] == "(" && isSQLName(sc.toks[i]) {
			ctes[sqlName(sc.toks[i])] = true
		}
	}
	return ctes
}

// step reads token i: a parenthesis, or a keyword after which a table name stands.
func (sc *sqlScan) step(i int) {
	t, prev := sc.lower[i], ""
	if i > 0 {
		prev = sc.lower[i-1]
	}
	switch t {
	case "(":
		sc.parens = append(sc.parens, i > 0 && isSQLName(sc.toks[i-1]) && !sqlKeywords[prev])
	case ")":
		if len(sc.parens) > 0 {
			sc.parens = sc.parens[:len(sc.parens)-1]
		}
	case "from":
		sc.from(i, prev)
	case "join", "using":
		if t == "using" && (i+1 >= len(sc.toks) || sc.toks[i+1] == "(") {
			return // JOIN ... USING (col)
		}
		sc.add(i+1, facts.Read)
	case "into":
		if prev == "insert" || prev == "merge" || prev == "replace" || prev == "ignore" {
			sc.add(i+1, facts.Write)
		}
	case "update":
		if i+1 < len(sc.lower) && sc.lower[i+1] == "only" {
			sc.add(i+2, facts.Write)
		} else {
			sc.add(i+1, facts.Write)
		}
	}
}

// from reads the tables after the FROM at i: DELETE FROM t writes t; FROM a [AS] x, b y reads a
// and b; a FROM inside a function call (EXTRACT(x FROM y), SUBSTRING(s FROM 1)) names none.
func (sc *sqlScan) from(i int, prev string) {
	if len(sc.parens) > 0 && sc.parens[len(sc.parens)-1] {
		return
	}
	if prev == "delete" {
		sc.add(i+1, facts.Write)
		return
	}
	toks, lower := sc.toks, sc.lower
	j := sc.add(i+1, facts.Read)
	for j > i+1 && j < len(toks) {
		if j < len(toks) && lower[j] == "as" {
			j++
		}
		if j < len(toks) && isSQLName(toks[j]) && !sqlKeywords[lower[j]] {
			j++
		}
		if j >= len(toks) || toks[j] != "," {
			return
		}
		k := sc.add(j+1, facts.Read)
		if k == j+1 {
			return
		}
		j = k
	}
}

// add records the table named at token i, if a table name stands there, and returns the index
// after it (i when there is none).
func (sc *sqlScan) add(i int, access facts.Access) int {
	if i >= len(sc.toks) || !isSQLName(sc.toks[i]) || sqlKeywords[sc.lower[i]] {
		return i
	}
	if access == facts.Read && i+1 < len(sc.toks) && sc.toks[i+1] == "(" { // a table function
		return i
	}
	name := sqlName(sc.toks[i])
	if name != "" && !sc.ctes[name] {
		sc.refs = append(sc.refs, sqlRef{table: name, access: access})
	}
	return i + 1
}

func isSQLName(t string) bool {
	if t == "" {
		return false
	}
	if t[0] == '"' || t[0] == '`' {
		return true
	}
	r := rune(t[0])
	return unicode.IsLetter(r) || r == '_'
}

// sqlName normalises a table name: quotes removed, unquoted names lower-cased.
func sqlName(t string) string {
	var b strings.Builder
	for _, part := range strings.Split(t, ".") {
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		if len(part) >= 2 && (part[0] == '"' || part[0] == '`') && part[len(part)-1] == part[0] {
			b.WriteString(part[1 : len(part)-1])
		} else {
			b.WriteString(strings.ToLower(part))
		}
	}
	return b.String()
}

// sqlTokens splits a statement into names (with dots and quotes kept), punctuation and other
// words; string literals, numbers and comments are dropped.
func sqlTokens(q string) []string {
	var toks []string
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == '-' && i+1 < len(q) && q[i+1] == '-':
			for i < len(q) && q[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(q) && q[i+1] == '*':
			end := strings.Index(q[i+2:], "*/")
			if end < 0 {
				return toks
			}
			i += end + 4
		case c == '\'':
			i++
			for i < len(q) {
				if q[i] == '\'' {
					if i+1 < len(q) && q[i+1] == '\'' {
						i += 2
						continue
					}
					break
				}
				i++
			}
			i++
		case c == '(' || c == ')' || c == ',' || c == ';':
			toks = append(toks, string(c))
			i++
		case isNameByte(c) || c == '"' || c == '`':
			start := i
			for i < len(q) {
				if q[i] == '"' || q[i] == '`' {
					end := strings.IndexByte(q[i+1:], q[i])
					if end < 0 {
						i = len(q)
						break
					}
					i += end + 2
				} else if isNameByte(q[i]) || q[i] == '.' {
					i++
				} else {
					break
				}
			}
			toks = append(toks, q[start:i])
		default:
			i++
		}
	}
	return toks
}

func isNameByte(c byte) bool {
	return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

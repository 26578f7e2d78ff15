package yamlcfg

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// checker walks a YAML node tree beside the Go type it is to be decoded into and records every
// key the type does not declare, every duplicate key and every value of the wrong kind, each
// on its line, and takes them out of the tree: yaml then decodes the rest, so that the config's
// own checks can report their problems in the same run.
type checker struct {
	doc     *Doc
	docs    string
	aliased map[*yaml.Node]bool // anchors already checked through an alias: checked once
}

var unmarshaler = reflect.TypeFor[yaml.Unmarshaler]()

func typeOf(v any) reflect.Type {
	t := reflect.TypeOf(v)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// refuse records a problem about the value at path, which is then left out of the decoding:
// checks of it, and of what holds it, wait until it is fixed (see Doc.AddAt).
func (c *checker) refuse(n *yaml.Node, path, format string, args ...any) bool {
	c.doc.problems = append(c.doc.problems, Problem{File: c.doc.File, Line: n.Line, Path: path, Msg: fmt.Sprintf(format, args...)})
	c.doc.refused = append(c.doc.refused, path)
	return false
}

// drop records a problem about a key, which is then left out of the decoding.
func (c *checker) drop(k *yaml.Node, path, format string, args ...any) {
	c.doc.problems = append(c.doc.problems, Problem{File: c.doc.File, Line: k.Line, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// check reports whether n fits t; what does not fit inside n is taken out of n, so that the
// rest decodes.
func (c *checker) check(n *yaml.Node, t reflect.Type, path string) bool {
	if n.Kind == yaml.AliasNode {
		// Check what an alias stands for once: a cycle or a "billion laughs" of aliases
		// stays linear here, and yaml's decoder refuses them itself.
		if n.Alias == nil {
			return true
		}
		if ok, done := c.aliased[n.Alias]; done {
			return ok
		}
		if c.aliased == nil {
			c.aliased = map[*yaml.Node]bool{}
		}
		c.aliased[n.Alias] = true
		ok := c.check(n.Alias, t, path)
		c.aliased[n.Alias] = ok
		return ok
	}
	if reflect.PointerTo(t).Implements(unionType) {
		return c.union(n, t, path)
	}
	if reflect.PointerTo(t).Implements(unmarshaler) {
		// The type reads itself (a duration, a scalar of any kind): its error is the message.
		if err := reflect.New(t).Interface().(yaml.Unmarshaler).UnmarshalYAML(n); err != nil {
			return c.refuse(n, path, "%v", err)
		}
		return true
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return true // null leaves the zero value, whatever the type
	}
	switch t.Kind() {
	case reflect.Pointer:
		return c.check(n, t.Elem(), path)
	case reflect.Struct:
		return c.want(n, yaml.MappingNode, t, path) && c.structure(n, t, path)
	case reflect.Map:
		return c.want(n, yaml.MappingNode, t, path) && c.mapping(n, t, path)
	case reflect.Slice, reflect.Array:
		if !c.want(n, yaml.SequenceNode, t, path) {
			return false
		}
		for i, item := range n.Content {
			if !c.check(item, t.Elem(), Index(path, i)) {
				n.Content[i] = zero(item, t.Elem())
			}
		}
		return true
	case reflect.Interface:
		return true
	}
	return c.scalar(n, t, path)
}

// null stands for a value left out: the zero value, on the line of the value it replaces.
func null(n *yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: n.Line, Column: n.Column}
}

// zero stands for a list item left out: a node that decodes to the zero value of t, so that the
// items after it keep their places (yaml skips a null item of a struct or scalar type).
func zero(n *yaml.Node, t reflect.Type) *yaml.Node {
	z := null(n)
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		z.Kind, z.Tag = yaml.MappingNode, "!!map"
	case reflect.Slice, reflect.Array:
		z.Kind, z.Tag = yaml.SequenceNode, "!!seq"
	case reflect.String:
		z.Tag = "!!str"
	case reflect.Bool:
		z.Tag, z.Value = "!!bool", "false"
	case reflect.Float32, reflect.Float64:
		z.Tag, z.Value = "!!float", "0"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		z.Tag, z.Value = "!!int", "0"
	}
	if reflect.PointerTo(t).Implements(unmarshaler) {
		return null(n) // a type reading itself may refuse any stand-in: yaml skips the item
	}
	return z
}

// want records a problem unless n is of kind.
func (c *checker) want(n *yaml.Node, kind yaml.Kind, t reflect.Type, path string) bool {
	if n.Kind == kind {
		return true
	}
	return c.refuse(n, path, "%s where %s is expected", describe(n), expected(t))
}

// structure checks the keys of a mapping decoded into struct t, keeping those that fit.
func (c *checker) structure(n *yaml.Node, t reflect.Type, path string) bool {
	fields := yamlFields(t)
	seen := map[string]int{}
	kept := n.Content[:0:0]
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		f, known := fields[k.Value]
		switch {
		case c.duplicate(k, seen, path):
			continue
		case !known:
			c.drop(k, path, "%s", c.unknown(k.Value, fields))
			continue
		case !c.check(v, f.Type, Join(path, k.Value)):
			v = null(v)
		}
		kept = append(kept, k, v)
	}
	n.Content = kept
	return true
}

// mapping checks the keys and values of a mapping decoded into map t, keeping those that fit.
func (c *checker) mapping(n *yaml.Node, t reflect.Type, path string) bool {
	seen := map[string]int{}
	kept := n.Content[:0:0]
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case c.duplicate(k, seen, path):
			continue
		case k.Kind != yaml.ScalarNode:
			c.drop(k, path, "%s as a key where %s is expected", describe(k), expected(t.Key()))
			continue
		case !c.scalar(k, t.Key(), Join(path, k.Value)):
			continue
		case !c.check(v, t.Elem(), Join(path, k.Value)):
			v = null(v)
		}
		kept = append(kept, k, v)
	}
	n.Content = kept
	return true
}

func (c *checker) duplicate(k *yaml.Node, seen map[string]int, path string) bool {
	if first, dup := seen[k.Value]; dup {
		c.drop(k, path, "key %q appears twice (first at line %d): keep one", k.Value, first)
		return true
	}
	seen[k.Value] = k.Line
	return false
}

// scalar checks a scalar by decoding it alone; yaml's own rules say what fits.
func (c *checker) scalar(n *yaml.Node, t reflect.Type, path string) bool {
	if n.Kind != yaml.ScalarNode {
		return c.refuse(n, path, "%s where %s is expected", describe(n), expected(t))
	}
	fits := n.Decode(reflect.New(t).Interface()) == nil
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		fits = fits && n.Tag == "!!int" // yaml would truncate 1.5 to 1
	case reflect.Bool:
		fits = fits && n.Tag == "!!bool"
	}
	if !fits {
		return c.refuse(n, path, "%s where %s is expected", describe(n), expected(t))
	}
	return true
}

// unknown says that key is not one of fields, suggesting the nearest when it is a likely typo.
func (c *checker) unknown(key string, fields map[string]reflect.StructField) string {
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	slices.SortFunc(names, func(a, b string) int { return fields[a].Index[0] - fields[b].Index[0] })
	var msg string
	if s := Suggest(key, names); s != "" {
		msg = fmt.Sprintf("unknown key %q: did you mean %q?", key, s)
	} else {
		msg = fmt.Sprintf("unknown key %q: the keys here are %s", key, strings.Join(names, ", "))
	}
	if c.docs != "" {
		msg += " (see " + c.docs + ")"
	}
	return msg
}

// yamlFields maps the yaml keys of struct t to its fields, as yaml decodes them.
func yamlFields(t reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if slices.Contains(strings.Split(opts, ","), "inline") {
			for k, v := range yamlFields(f.Type) {
				v.Index = append([]int{f.Index[0]}, v.Index...)
				out[k] = v
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f
	}
	return out
}

// describe names what a node holds, for "X where Y is expected".
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	switch n.Tag {
	case "!!int":
		return fmt.Sprintf("%q is an integer", n.Value)
	case "!!float":
		return fmt.Sprintf("%q is a number", n.Value)
	case "!!bool":
		return fmt.Sprintf("%q is true or false", n.Value)
	}
	return fmt.Sprintf("%q is a string", n.Value)
}

// expected names what a Go type takes in YAML.
func expected(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	case reflect.Map, reflect.Struct:
		return "a mapping"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Pointer:
		return expected(t.Elem())
	}
	return t.String()
}

// Suggest returns the candidate nearest to s when it is close enough to be a typo of it (an
// edit distance of at most a third of its length, and at least 1), else the first candidate
// that starts with s or that s starts with (three letters or more: "cert" for "cert_file",
// "listen_addr" for "listen"), else "".
func Suggest(s string, candidates []string) string {
	s = strings.ToLower(s)
	best, bestD := "", max(1, len(s)/3)+1
	for _, c := range candidates {
		if d := distance(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	if best == "" && len(s) >= 3 {
		for _, c := range candidates {
			if strings.HasPrefix(c, s) || len(c) >= 3 && strings.HasPrefix(s, c) {
				return c
			}
		}
	}
	return best
}

// distance is the edit distance between a and b in bytes, counting the swap of two neighbours
// as one edit ("tabel" is one from "table").
func distance(a, b string) int {
	rows := [3][]int{make([]int, len(b)+1), make([]int, len(b)+1), make([]int, len(b)+1)}
	for j := range rows[1] {
		rows[1][j] = j
	}
	for i := 1; i <= len(a); i++ {
		before, prev, cur := rows[0], rows[1], rows[2]
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			sub := prev[j-1]
			if a[i-1] != b[j-1] {
				sub++
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, sub)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], before[j-2]+1)
			}
		}
		rows = [3][]int{prev, cur, before}
	}
	return rows[1][len(b)]
}

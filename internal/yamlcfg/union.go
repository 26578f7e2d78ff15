package yamlcfg

import (
	"fmt"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Union is a value written as a mapping with one key naming its variant and the variant's
// settings under it, such as `sink: {sqs: {queue_url: …}}`: the set of variants is open (a
// registry), so no struct lists them. Its pointer type implements Union (and yaml.Unmarshaler
// to decode the chosen variant). The strict checker asks it which variants there are and checks
// the variant's settings against its type, so that an unknown key inside one is reported on its
// line like anywhere else.
//
// The checker reports an unknown variant (listing the known ones and suggesting the nearest)
// and more than one variant; a union with none is left for the config's own checks, which know
// whether it may be empty (say so with "missing: set " + Either(names)). Those checks are not
// reported on a union holding only an unknown variant: its problem already says what to set.
type Union interface {
	// Variants lists the variant names, sorted.
	Variants() []string
	// Variant returns the type the settings of variant name decode into; ok is false for an
	// unknown name.
	Variant(name string) (t reflect.Type, ok bool)
}

var unionType = reflect.TypeFor[Union]()

// Either lists names as "a, b, c or d" (sorted as given), for messages that say what to set.
func Either(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// union checks a mapping decoded into union type t: every key a known variant whose settings fit
// its type, and at most one variant set. Two or more refuse the whole union, on the line of the
// key holding it.
func (c *checker) union(n *yaml.Node, t reflect.Type, path string) bool {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return true
	}
	if !c.want(n, yaml.MappingNode, t, path) {
		return false
	}
	u := reflect.New(t).Interface().(Union)
	names := u.Variants()
	seen := map[string]int{}
	kept := n.Content[:0:0]
	set, unknown := 0, false
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		vt, known := u.Variant(k.Value)
		switch {
		case c.duplicate(k, seen, path):
			continue
		case !known:
			c.drop(k, path, "%s", c.unknownVariant(k.Value, names))
			unknown = true
			continue
		case !c.check(v, vt, Join(path, k.Value)):
			v = null(v)
		}
		if !isNull(v) {
			set++
		}
		kept = append(kept, k, v)
	}
	n.Content = kept
	switch {
	case set > 1:
		c.doc.problems = append(c.doc.problems, Problem{File: c.doc.File, Line: c.doc.Line(path), Path: path, Msg: "set exactly one of " + Either(names)})
		c.doc.refused = append(c.doc.refused, path)
		return false
	case set == 0 && unknown:
		// The unknown variant's problem says what to set: the config's "missing" would repeat it.
		c.doc.refused = append(c.doc.refused, path)
	}
	return true
}

// isNull reports whether n stands for no value (an alias to a null counts as null).
func isNull(n *yaml.Node) bool {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// unknownVariant says that key names no variant, suggesting the nearest when it is a likely
// typo, and always listing the variants there are.
func (c *checker) unknownVariant(key string, names []string) string {
	msg := fmt.Sprintf("unknown key %q: want one of %s", key, Either(names))
	if s := Suggest(key, names); s != "" {
		msg = fmt.Sprintf("unknown key %q: did you mean %q? want one of %s", key, s, Either(names))
	}
	if c.docs != "" {
		msg += " (see " + c.docs + ")"
	}
	return msg
}

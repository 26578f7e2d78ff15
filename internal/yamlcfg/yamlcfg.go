// Package yamlcfg is the strict YAML core every carve config file is read through (carve.yaml,
// strangler.yaml, sync.yaml): exactly one document, decoded into a Go struct with unknown keys
// and values of the wrong type refused, a line index so that every problem names its line, and
// the list of every problem of a file at once, sorted by line.
//
// A config is a documented struct with yaml tags. Its loader calls Decode, fills its defaults,
// then validates by calling Doc.Add for each problem, and returns Doc.Err:
//
//	doc := yamlcfg.Decode(file, data, &c, yamlcfg.Options{Docs: "docs/sync.md"})
//	if doc.Failed() { return nil, doc.Err() }   // not YAML, or a shape the struct cannot hold
//	c.defaults()
//	c.validate(doc)                             // reads c, calls doc.Add(path, msg)
//	return &c, doc.Err()
package yamlcfg

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Problem is one thing wrong in a config file: where (file, line, the key path such as
// "routes[0].split.orders") and what to do about it.
type Problem struct {
	File string
	Line int
	Path string
	Msg  string
}

// Error formats the problem as "file:line: path: msg", leaving out an unknown line or an
// empty path.
func (p Problem) Error() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		b.WriteString(":" + strconv.Itoa(p.Line))
	}
	if p.Path != "" {
		b.WriteString(": " + p.Path)
	}
	b.WriteString(": " + p.Msg)
	return b.String()
}

// Problems is every problem found in one file. As an error it prints one problem a line, sorted
// by line.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// Options tune Decode for one kind of file.
type Options struct {
	// Docs names the document describing the file's keys, quoted in unknown-key messages
	// (e.g. "docs/strangler.md").
	Docs string
}

// Doc is a decoded config file: its line index and the problems found so far.
type Doc struct {
	// File names the file in every problem.
	File string

	empty    bool
	failed   bool
	lines    map[string]int
	problems Problems
	// refused are the paths of values that did not fit their type and were left out.
	refused []string
}

// Decode decodes data, which must hold at most one YAML document, into v (a pointer to a
// struct) strictly: a key the struct does not declare, a duplicate key or a value of the wrong
// type is a problem naming its line, and every such problem of the file is collected. What
// fits is decoded into v all the same, so that the caller's checks run and report theirs too
// (Err then returns them all); Failed says when nothing could be decoded. An empty document
// leaves v as it was (Empty is true).
func Decode(file string, data []byte, v any, o Options) *Doc {
	d := &Doc{File: file, lines: map[string]int{}}
	root, err := oneDocument(data)
	if err != nil {
		d.failed = true
		d.problems = append(d.problems, d.problem(err))
		return d
	}
	if root == nil || root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		d.empty = true
		return d
	}
	index(root, "", d.lines)
	c := checker{doc: d, docs: o.Docs}
	if !c.check(root, typeOf(v), "") {
		d.failed = true
		return d
	}
	if err := root.Decode(v); err != nil {
		// The check above should have caught what yaml refuses; report it all the same.
		d.failed = true
		d.problems = append(d.problems, d.problem(err))
	}
	return d
}

// Root returns the root node of the only document of data (nil for an empty file), for a
// writer that edits a config in place and keeps its comments. Not YAML, or a second document,
// is a Problem naming its line.
func Root(file string, data []byte) (*yaml.Node, error) {
	root, err := oneDocument(data)
	if err != nil {
		d := &Doc{File: file}
		return nil, d.problem(err)
	}
	return root, nil
}

// lineError is a problem found by the YAML library (syntax, a second document).
type lineError struct {
	line int
	msg  string
}

func (e *lineError) Error() string { return e.msg }

// oneDocument parses data into the root node of its only document (nil for none).
func oneDocument(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, yamlError(err)
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, yamlError(err)
	default:
		return nil, &lineError{line: extra.Line, msg: "a second YAML document: the file holds one document; remove the '---' and what follows"}
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

// yamlError turns the YAML library's "yaml: line N: msg" into a line and a message.
func yamlError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, after, ok := strings.Cut(rest, ": "); ok {
			if line, err := strconv.Atoi(n); err == nil {
				return &lineError{line: line, msg: "not valid YAML: " + after}
			}
		}
	}
	return &lineError{msg: "not valid YAML: " + msg}
}

func (d *Doc) problem(err error) Problem {
	var le *lineError
	if errors.As(err, &le) {
		return Problem{File: d.File, Line: le.line, Msg: le.msg}
	}
	return Problem{File: d.File, Msg: err.Error()}
}

// index records the line of every key and list item under its path: "a.b", "a[0]".
func index(n *yaml.Node, path string, lines map[string]int) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := Join(path, n.Content[i].Value)
			if _, dup := lines[p]; !dup {
				lines[p] = n.Content[i].Line
			}
			index(n.Content[i+1], p, lines)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p := Index(path, i)
			lines[p] = c.Line
			index(c, p, lines)
		}
	}
}

// Join is the path of key under path: "routes[0]" and "split" give "routes[0].split".
func Join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// Index is the path of item i of the list at path: "routes" and 0 give "routes[0]".
func Index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// Empty reports whether the file held no document, or an empty one.
func (d *Doc) Empty() bool { return d.empty }

// Failed reports whether nothing of the file could be decoded: not YAML, more than one
// document, or a top level of the wrong kind. The value passed to Decode is then not filled.
func (d *Doc) Failed() bool { return d.failed }

// Line returns the line of the key or item at path, or of its nearest ancestor present in the
// file, or 1 for a path nowhere in it (a key left out, checked at the top).
func (d *Doc) Line(path string) int {
	for path != "" {
		if l, ok := d.lines[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 1
}

// Has reports whether the file sets the key or item at path.
func (d *Doc) Has(path string) bool {
	_, ok := d.lines[path]
	return ok
}

// Add records a problem about the key at path, on its line.
func (d *Doc) Add(path, format string, args ...any) {
	d.AddAt(d.Line(path), path, format, args...)
}

// AddAt records a problem on a line known otherwise (a value carrying its own line). A problem
// about a value that did not fit its type, or about what holds it, is not recorded: that value
// was left out, and its own problem says what to fix first.
func (d *Doc) AddAt(line int, path, format string, args ...any) {
	d.record(Problem{File: d.File, Line: line, Path: path, Msg: fmt.Sprintf(format, args...)})
}

func (d *Doc) record(p Problem) {
	if !d.refusedNear(p.Path) {
		d.problems = append(d.problems, p)
	}
}

// refusedNear reports whether path is a refused value, below one, or above one.
func (d *Doc) refusedNear(path string) bool {
	for _, r := range d.refused {
		if path == r || under(path, r) || path != "" && under(r, path) {
			return true
		}
	}
	return false
}

// under reports whether path lies below parent.
func under(path, parent string) bool {
	if parent == "" {
		return path != ""
	}
	rest, ok := strings.CutPrefix(path, parent)
	return ok && rest != "" && (rest[0] == '.' || rest[0] == '[')
}

// Report records err: a *Problem or Problems as they are, any other error as a problem of the
// file without a line. A nil err records nothing; like AddAt, it leaves out problems about a
// value that did not fit its type.
func (d *Doc) Report(err error) {
	var p *Problem
	var ps Problems
	switch {
	case err == nil:
	case errors.As(err, &ps):
		for _, p := range ps {
			d.record(p)
		}
	case errors.As(err, &p):
		d.record(*p)
	default:
		d.record(Problem{File: d.File, Msg: err.Error()})
	}
}

// Problem returns a problem about the key at path without recording it, for a caller that
// decides later (a check shared with run-time input).
func (d *Doc) Problem(path, format string, args ...any) *Problem {
	return &Problem{File: d.File, Line: d.Line(path), Path: path, Msg: fmt.Sprintf(format, args...)}
}

// Err returns every problem recorded, sorted by line (problems of one line in the order they
// were found), or nil when there is none.
func (d *Doc) Err() error {
	if len(d.problems) == 0 {
		return nil
	}
	ps := slices.Clone(d.problems)
	slices.SortStableFunc(ps, func(a, b Problem) int { return cmp.Compare(a.Line, b.Line) })
	return ps
}

package score

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/carve-dev/carve/analyze/graph"

	"github.com/carve-dev/carve/analyze/plan"
)

// ReadTruth reads a known decomposition: a JSON object mapping package import path → service
// name, e.g. {"example.com/shop/orders": "orders", "example.com/shop/orders/store": "orders"}.
func ReadTruth(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read truth file: %w", err)
	}
	t, err := ParseTruth(data)
	if err != nil {
		return nil, fmt.Errorf("truth file %s: %w", path, err)
	}
	return t, nil
}

// WriteTruth writes a truth in the format ReadTruth reads, keys sorted.
func WriteTruth(path string, truth map[string]string) error {
	data, err := json.MarshalIndent(truth, "", " ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write truth file: %w", err)
	}
	return nil
}

// ParseTruth parses the truth format of ReadTruth. Errors give the line and column.
func ParseTruth(data []byte) (map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	at := func() string {
		line, col := lineCol(data, dec.InputOffset())
		return fmt.Sprintf("line %d, column %d", line, col)
	}
	bad := func(err error) error {
		off := dec.InputOffset()
		if se, ok := errors.AsType[*json.SyntaxError](err); ok {
			off = se.Offset
		}
		line, col := lineCol(data, off)
		return fmt.Errorf("not valid JSON at line %d, column %d: %w", line, col, err)
	}
	tok, err := dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty file: want a JSON object mapping import path to service name")
		}
		return nil, bad(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("want a JSON object mapping import path to service name, found %s at %s", describeToken(tok), at())
	}
	out := map[string]string{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, bad(err)
		}
		key, _ := tok.(string)
		where := at()
		val, err := dec.Token()
		if err != nil {
			return nil, bad(err)
		}
		s, ok := val.(string)
		if !ok {
			return nil, fmt.Errorf("%s: the value of %q is %s; want a service name string", where, key, describeToken(val))
		}
		if key == "" {
			return nil, fmt.Errorf("%s: empty import path; each key is a package import path", where)
		}
		if s == "" {
			return nil, fmt.Errorf("%s: package %s has an empty service name", where, key)
		}
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("%s: package %s appears twice; give it one service", where, key)
		}
		out[key] = s
	}
	if _, err := dec.Token(); err != nil {
		return nil, bad(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("unexpected data after the object at %s", at())
	}
	if len(out) == 0 {
		return nil, errors.New("the object is empty: map each package import path to its service name")
	}
	return out, nil
}

func describeToken(t json.Token) string {
	switch v := t.(type) {
	case json.Delim:
		if v == '[' {
			return "an array"
		}
		if v == '{' {
			return "an object"
		}
		return fmt.Sprintf("%q", string(v))
	case json.Number:
		return "the number " + v.String()
	case bool:
		return fmt.Sprintf("%v", v)
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("the string %q", v)
	}
	return fmt.Sprintf("%v", t)
}

// lineCol converts a byte offset into a 1-based line and column.
func lineCol(data []byte, off int64) (int, int) {
	off = min(off, int64(len(data)))
	line, col := 1, 1
	for _, b := range data[:off] {
		if b == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

// SharedLabel is the truth label of a package of the shared kernel: a library several services
// use, which a plan should put in its kernel rather than in a service.
const SharedLabel = "shared"

// TruthScores is how far a partition of a module's packages agrees with a truth file.
type TruthScores struct {
	// Strict is computed over the packages the truth gives a service label (not SharedLabel);
	// Full over those and the shared ones, the plan's kernel and the truth's shared packages
	// each forming one group. Full covers every truth package, so it is also the plan's
	// historical metrics.ari and metrics.mojofm.
	Strict, Full Agreement
}

// Agreement is ARI and MoJoFM over N packages; N is 0 when no package was in the set, and then
// the scores mean nothing.
type Agreement struct {
	N      int
	ARI    float64
	MoJoFM float64
}

// CompareTruth scores where pkgs are (by Service and Kernel) against a truth (import path →
// label, SharedLabel for kernel packages), over the packages both name. The plan's kernel is one
// group; a package in no service and not kernel (a composition root or a tool the plan leaves
// out) is a group of its own. It fails with ErrTruthMismatch when the truth names none of pkgs.
func CompareTruth(pkgs []plan.Package, truth map[string]string) (TruthScores, error) {
	var strictA, strictB, fullA, fullB []int
	sa, sb, fa, fb := map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
	for _, pkg := range pkgs {
		t, ok := truth[pkg.Path]
		if !ok {
			continue
		}
		g := planGroup(pkg)
		fullA = append(fullA, intern(fa, g))
		fullB = append(fullB, intern(fb, t))
		if t != SharedLabel {
			strictA = append(strictA, intern(sa, g))
			strictB = append(strictB, intern(sb, t))
		}
	}
	if len(fullA) == 0 {
		return TruthScores{}, fmt.Errorf("%w (%d packages): is it the decomposition of this module? It maps import paths such as %s", ErrTruthMismatch, len(pkgs), anyKey(truth))
	}
	return TruthScores{Strict: agreement(strictA, strictB), Full: agreement(fullA, fullB)}, nil
}

func agreement(a, b []int) Agreement {
	if len(a) == 0 {
		return Agreement{}
	}
	return Agreement{N: len(a), ARI: graph.Round6(ariLabels(a, b)), MoJoFM: graph.Round6(mojoFMLabels(a, b))}
}

// planGroup is the group a package forms part of when a plan is compared with a truth: its
// service, the kernel, or (a package the plan leaves out of both) a group of its own.
func planGroup(p plan.Package) string {
	switch {
	case p.Kernel:
		return kernelLabel
	case p.Service != "":
		return "service:" + p.Service
	default:
		return "\x00alone:" + p.Path
	}
}

// setMetrics records the scores in m: ari and mojofm (every truth package, as they always
// meant), and the strict and full pairs; the strict pair only when the strict set is not empty.
func (s TruthScores) setMetrics(m *plan.Metrics) {
	ptr := func(v float64) *float64 { return &v }
	m.ARI, m.MoJoFM = ptr(s.Full.ARI), ptr(s.Full.MoJoFM)
	m.ARIFull, m.MoJoFMFull = ptr(s.Full.ARI), ptr(s.Full.MoJoFM)
	m.ARIStrict, m.MoJoFMStrict = nil, nil
	if s.Strict.N > 0 {
		m.ARIStrict, m.MoJoFMStrict = ptr(s.Strict.ARI), ptr(s.Strict.MoJoFM)
	}
}

// ErrTruthMismatch is wrapped in the error Score returns when the truth names none of the
// plan's packages (Propose returns it as an *InputError).
var ErrTruthMismatch = errors.New("the truth names none of the plan's packages")

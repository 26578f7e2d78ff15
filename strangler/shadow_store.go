package strangler

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// Bounds of a route's diff store: the fields it tracks by name (later ones count as
// "other"), the examples kept per field, and the bytes of a body quoted in an example.
const (
	maxDiffFields      = 100
	examplesPerField   = 3
	maxExampleBodySize = 2 << 10
)

// otherField counts differences in fields past maxDiffFields.
const otherField = "other"

// diffStore is a route's shadow results, kept in memory within fixed bounds and across
// reloads: the counts the rollout gates read, the differing fields with a few redacted
// examples each, and the fields learned as noise.
type diffStore struct {
	route                 string
	compared              atomic.Int64
	differing             atomic.Int64
	mCompared, mDiffering prometheus.Counter
	mFields               *prometheus.CounterVec

	mu     sync.Mutex
	fields map[string]*fieldStats
	noise  map[string]int64
	// window counts the copies whose candidate call started in the current rollout hold
	// (epoch): a copy the previous build answered, compared late, is no evidence about the
	// build under judgement.
	epoch                         int64
	windowCompared, windowDiffers int64
}

// startWindow starts a rollout hold: copies whose candidate call starts from now on are
// counted in the window.
func (d *diffStore) startWindow() {
	d.mu.Lock()
	d.epoch++
	d.windowCompared, d.windowDiffers = 0, 0
	d.mu.Unlock()
}

// currentEpoch is the hold a copy whose candidate call starts now belongs to.
func (d *diffStore) currentEpoch() int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.epoch
}

// window returns the copies compared and differing in the current hold.
func (d *diffStore) window() (compared, differing int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.windowCompared, d.windowDiffers
}

type fieldStats struct {
	count    int64
	examples []DiffExample // the latest examplesPerField
	next     int
}

// diffStore returns the store of route, creating it on first use; it outlives reloads.
func (p *Proxy) diffStore(route string) *diffStore {
	p.diffsMu.Lock()
	defer p.diffsMu.Unlock()
	if d, ok := p.diffs[route]; ok {
		return d
	}
	d := &diffStore{route: route, fields: map[string]*fieldStats{}, noise: map[string]int64{},
		mCompared: p.m.shadowCompared.WithLabelValues(route), mDiffering: p.m.shadowDiffering.WithLabelValues(route),
		mFields: p.m.shadowFields}
	p.diffs[route] = d
	return d
}

// learnNoise marks the fields that differ between two primary answers as noise.
func (d *diffStore) learnNoise(diffs []fieldDiff) {
	if len(diffs) == 0 {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, f := range diffs {
		if _, ok := d.noise[f.Field]; ok || len(d.noise) < maxDiffFields {
			d.noise[f.Field]++
		}
	}
}

// real reports whether diffs hold a field that is not noise.
func (d *diffStore) real(diffs []fieldDiff) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, f := range diffs {
		if _, noisy := d.noise[f.Field]; !noisy {
			return true
		}
	}
	return false
}

// record counts one comparison: its differences that are not noise, with an example each.
func (d *diffStore) record(ex *exchange, cand *answer, diffs []fieldDiff, epoch int64) {
	d.mu.Lock()
	real := diffs[:0]
	for _, f := range diffs {
		if _, noisy := d.noise[f.Field]; !noisy {
			real = append(real, f)
		}
	}
	var example *DiffExample
	for _, f := range real {
		name := f.Field
		fs, ok := d.fields[name]
		if !ok && len(d.fields) >= maxDiffFields {
			name = otherField
			fs = d.fields[name]
		}
		if fs == nil {
			fs = &fieldStats{}
			d.fields[name] = fs
		}
		fs.count++
		if example == nil {
			example = newExample(ex, cand)
		}
		e := *example
		e.Path, e.Primary, e.Candidate = f.Path, f.Primary, f.Candidate
		if len(fs.examples) < examplesPerField {
			fs.examples = append(fs.examples, e)
		} else {
			fs.examples[fs.next] = e
			fs.next = (fs.next + 1) % examplesPerField
		}
		d.mFields.WithLabelValues(d.route, name).Inc()
	}
	if epoch == d.epoch {
		d.windowCompared++
		if len(real) > 0 {
			d.windowDiffers++
		}
	}
	d.mu.Unlock()
	d.compared.Add(1)
	d.mCompared.Inc()
	if len(real) > 0 {
		d.differing.Add(1)
		d.mDiffering.Inc()
	}
}

// DiffReport is a route's shadow results as the admin API returns them (GET
// /routes/{name}/diff) and `carve proxy diff` prints them.
type DiffReport struct {
	Route     string      `json:"route"`
	Upstream  string      `json:"upstream,omitempty"`
	Compared  int64       `json:"compared"`
	Differing int64       `json:"differing"`
	Fields    []FieldDiff `json:"fields"`
	Noise     []string    `json:"noise"`
}

// FieldDiff is one differing field, its count and a few examples.
type FieldDiff struct {
	Field    string        `json:"field"`
	Count    int64         `json:"count"`
	Examples []DiffExample `json:"examples"`
}

// DiffExample is one request whose answers differed, redacted: credentials (Authorization,
// Cookie, Set-Cookie, tokens, keys) are replaced, bodies are cut at 2 KiB.
type DiffExample struct {
	Path      string         `json:"path"`
	Primary   string         `json:"primary_value"`
	Candidate string         `json:"candidate_value"`
	Request   ExampleRequest `json:"request"`
	PrimaryR  ExampleAnswer  `json:"primary"`
	CandR     ExampleAnswer  `json:"candidate"`
}

// ExampleRequest is the request of a DiffExample.
type ExampleRequest struct {
	Method  string      `json:"method"`
	URI     string      `json:"uri"`
	Headers http.Header `json:"headers,omitempty"`
	Body    string      `json:"body,omitempty"`
}

// ExampleAnswer is one side's answer in a DiffExample.
type ExampleAnswer struct {
	Status  int         `json:"status"`
	Headers http.Header `json:"headers,omitempty"`
	Body    string      `json:"body,omitempty"`
}

func newExample(ex *exchange, cand *answer) *DiffExample {
	return &DiffExample{
		Request:  ExampleRequest{Method: ex.method, URI: redactQuery(ex.uri), Headers: redactHeader(ex.reqHeader), Body: redactBody(ex.reqBody)},
		PrimaryR: ExampleAnswer{Status: ex.primary.Status, Headers: redactHeader(ex.primary.Header), Body: redactBody(decoded(ex.primary))},
		CandR:    ExampleAnswer{Status: cand.Status, Headers: redactHeader(cand.Header), Body: redactBody(decoded(cand))},
	}
}

// Report returns the route's results, the most frequent differing fields first.
func (d *diffStore) report(upstream string, top int) DiffReport {
	d.mu.Lock()
	defer d.mu.Unlock()
	r := DiffReport{Route: d.route, Upstream: upstream, Compared: d.compared.Load(), Differing: d.differing.Load(),
		Fields: []FieldDiff{}, Noise: []string{}}
	for name, fs := range d.fields {
		if _, noisy := d.noise[name]; noisy {
			continue // learned after it was counted
		}
		r.Fields = append(r.Fields, FieldDiff{Field: name, Count: fs.count, Examples: slices.Clone(fs.examples)})
	}
	slices.SortFunc(r.Fields, func(a, b FieldDiff) int {
		if a.Count != b.Count {
			return int(b.Count - a.Count)
		}
		return strings.Compare(a.Field, b.Field)
	})
	if top > 0 && len(r.Fields) > top {
		r.Fields = r.Fields[:top]
	}
	for name := range d.noise {
		r.Noise = append(r.Noise, name)
	}
	slices.Sort(r.Noise)
	return r
}

const redacted = "[redacted]"

// credentialWords mark a header, query parameter or JSON field as a credential.
var credentialWords = []string{"authorization", "cookie", "token", "secret", "password", "passwd", "api-key", "apikey",
	"api_key", "session", "signature", "credential", "private"}

func isCredential(name string) bool {
	n := strings.ToLower(name)
	for _, w := range credentialWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

func redactHeader(h http.Header) http.Header {
	if len(h) == 0 {
		return nil
	}
	out := make(http.Header, len(h))
	for k, vs := range h {
		if isCredential(k) {
			out[k] = []string{redacted}
			continue
		}
		out[k] = slices.Clone(vs)
	}
	return out
}

func redactQuery(uri string) string {
	path, q, ok := strings.Cut(uri, "?")
	if !ok {
		return uri
	}
	parts := strings.Split(q, "&")
	for i, p := range parts {
		if k, _, ok := strings.Cut(p, "="); ok && isCredential(k) {
			parts[i] = k + "=" + redacted
		}
	}
	return path + "?" + strings.Join(parts, "&")
}

// redactBody quotes a body cut at maxExampleBodySize, with JSON credential fields replaced.
func redactBody(b []byte) string {
	var v any
	if json.Unmarshal(b, &v) == nil {
		if _, ok := v.(string); !ok {
			redactJSON(v)
			b, _ = json.Marshal(v)
		}
	}
	if len(b) > maxExampleBodySize {
		return string(b[:maxExampleBodySize]) + "…"
	}
	return string(b)
}

func redactJSON(v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if isCredential(k) {
				x[k] = redacted
				continue
			}
			redactJSON(e)
		}
	case []any:
		for _, e := range x {
			redactJSON(e)
		}
	}
}

// ErrNoShadow is returned for the shadow results of a route without shadow traffic.
var ErrNoShadow = errors.New("route has no shadow traffic")

// Diff returns a route's shadow results, its top most frequent differing fields.
func (p *Proxy) Diff(route string, top int) (DiffReport, error) {
	lr := p.rt.Load().route(route)
	if lr == nil || lr.cfg == nil {
		return DiffReport{}, fmt.Errorf("route %q: %w; list routes with GET /routes", route, ErrUnknownRoute)
	}
	if lr.shadow == nil {
		return DiffReport{}, fmt.Errorf("route %q: %w: add shadow: {upstream: NAME, sample: 0.1} to it", route, ErrNoShadow)
	}
	return lr.shadow.store.report(lr.shadow.cfg.Upstream, top), nil
}

// Package fault makes a deliberately faulty build of the service for rollout drills: the
// strangler proxy's shadow diff and rollout gates must catch it and roll it back (`make demo`
// does). Two faults, alone or together, on every route but /healthz (so the proxy's health
// checks keep passing and only the gates can tell):
//
//   - Rate: that fraction of requests is answered 500 {"error": {"code": "injected_fault"}}
//     with the header Injected-Fault: rate, before the request is handled (nothing is written);
//   - Field: every member of that name in a JSON answer, at any depth, has its value replaced,
//     e.g. currency=USD reports every amount in the wrong currency (the stored data is right).
package fault

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
)

// Header marks an answer the fault changed: "rate" for an injected 500, "field" for a changed
// field, so a client can tell injected faults from real ones.
const Header = "Injected-Fault"

// Faults says which faults to inject; the zero value injects none.
type Faults struct {
	// Rate is the fraction of requests answered 500, from 0 to 1.
	Rate float64
	// Field and Value: every JSON member named Field gets Value (a JSON value, or else a
	// string). Empty Field changes nothing.
	Field string
	Value json.RawMessage
	// Rand returns a number in [0, 1) (default math/rand/v2).
	Rand func() float64
}

// ParseField reads NAME=VALUE: VALUE is JSON (a number, true, null, "quoted") or else a string.
func ParseField(s string) (name string, value json.RawMessage, err error) {
	name, v, ok := strings.Cut(s, "=")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return "", nil, fmt.Errorf("fault field %q: want NAME=VALUE, e.g. currency=USD", s)
	}
	if json.Valid([]byte(v)) {
		return name, json.RawMessage(v), nil
	}
	b, _ := json.Marshal(v)
	return name, b, nil
}

// Check reports a rate outside 0..1.
func (f Faults) Check() error {
	if !(f.Rate >= 0 && f.Rate <= 1) || math.IsNaN(f.Rate) {
		return fmt.Errorf("fault rate %v: want a fraction from 0 to 1, e.g. 0.05 to fail one request in twenty", f.Rate)
	}
	return nil
}

// On reports whether f injects anything.
func (f Faults) On() bool { return f.Rate > 0 || f.Field != "" }

func (f Faults) String() string {
	var parts []string
	if f.Rate > 0 {
		parts = append(parts, fmt.Sprintf("%s%% of requests answered 500", strconv.FormatFloat(f.Rate*100, 'f', -1, 64)))
	}
	if f.Field != "" {
		parts = append(parts, fmt.Sprintf("every %q in answers set to %s", f.Field, f.Value))
	}
	return strings.Join(parts, "; ")
}

// Wrap returns next with f's faults injected.
func Wrap(next http.Handler, f Faults) http.Handler {
	if !f.On() {
		return next
	}
	if f.Rand == nil {
		f.Rand = rand.Float64
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			next.ServeHTTP(w, r)
			return
		}
		if f.Rate > 0 && f.Rand() < f.Rate {
			w.Header().Set(Header, "rate")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprintln(w, `{"error": {"code": "injected_fault", "message": "fault injected by -fault-rate"}}`)
			return
		}
		if f.Field == "" {
			next.ServeHTTP(w, r)
			return
		}
		rec := &recorder{header: w.Header(), status: http.StatusOK}
		next.ServeHTTP(rec, r)
		body := rec.body.Bytes()
		if strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
			var v any
			if json.Unmarshal(body, &v) == nil && set(v, f.Field, f.Value) {
				body, _ = json.Marshal(v)
				body = append(body, '\n')
				w.Header().Set(Header, "field")
			}
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.status)
		_, _ = w.Write(body)
	})
}

// set replaces every member named field in v, at any depth, and reports whether it found one.
func set(v any, field string, value json.RawMessage) bool {
	found := false
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if k == field {
				x[k], found = value, true
				continue
			}
			found = set(e, field, value) || found
		}
	case []any:
		for _, e := range x {
			found = set(e, field, value) || found
		}
	}
	return found
}

// recorder keeps an answer in memory so its JSON can be changed before it is sent.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) WriteHeader(status int)      { r.status = status }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }

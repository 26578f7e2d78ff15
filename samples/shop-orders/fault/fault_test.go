package fault

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// orders answers like the service: an order with amounts, a list, health, and plain text.
func orders(calls *int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*calls++
		switch r.URL.Path {
		case "/orders/1":
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"id": "1", "total": {"cents": 500, "currency": "EUR"}, "items": [{"price": {"cents": 250, "currency": "EUR"}}]}`)
		case "/users/u/orders":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusAccepted)
			io.WriteString(w, `{"orders": [{"id": "1", "status": "paid"}, {"id": "2", "status": "cancelled"}]}`)
		case "/text":
			io.WriteString(w, "currency=EUR")
		default:
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"status": "ok"}`)
		}
	})
}

func get(t *testing.T, h http.Handler, path string) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
	return w
}

// TestRateFailsBeforeHandling: a request drawn under the rate is answered 500, marked, and
// never reaches the service; one drawn above it, and /healthz always, are served.
func TestRateFailsBeforeHandling(t *testing.T) {
	var calls int
	draw := 0.0
	h := Wrap(orders(&calls), Faults{Rate: 0.05, Rand: func() float64 { return draw }})
	w := get(t, h, "/orders/1")
	if w.Code != http.StatusInternalServerError || w.Header().Get(Header) != "rate" || calls != 0 {
		t.Errorf("draw 0: %d %q, %d calls; want 500 marked rate, the service not called", w.Code, w.Header().Get(Header), calls)
	}
	var body struct{ Error struct{ Code string } }
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error.Code != "injected_fault" {
		t.Errorf("body %q: want the monolith's error shape with code injected_fault (%v)", w.Body, err)
	}
	draw = 0.05
	if w := get(t, h, "/orders/1"); w.Code != http.StatusOK || w.Header().Get(Header) != "" || calls != 1 {
		t.Errorf("draw 0.05: %d %q, %d calls; want the service's 200", w.Code, w.Header().Get(Header), calls)
	}
	draw = 0
	if w := get(t, h, "/healthz"); w.Code != http.StatusOK || calls != 2 {
		t.Errorf("/healthz: %d, %d calls; want it never faulted", w.Code, calls)
	}
}

// TestRateFraction: over many requests with the real random source, about Rate fail.
func TestRateFraction(t *testing.T) {
	var calls int
	h := Wrap(orders(&calls), Faults{Rate: 0.25})
	failed := 0
	const n = 4000
	for range n {
		if get(t, h, "/orders/1").Code == http.StatusInternalServerError {
			failed++
		}
	}
	// 0.25 of 4000 is 1000 with a standard deviation of 27: 850..1150 is over five of them.
	if failed < 850 || failed > 1150 {
		t.Errorf("%d of %d failed at rate 0.25", failed, n)
	}
}

// TestFieldChangesEveryMember: every member of the name, nested in objects and arrays, gets
// the value; the status is kept; answers without the field, non-JSON and /healthz are as the
// service wrote them.
func TestFieldChangesEveryMember(t *testing.T) {
	var calls int
	name, value, err := ParseField("currency=USD")
	if err != nil {
		t.Fatal(err)
	}
	h := Wrap(orders(&calls), Faults{Field: name, Value: value})
	w := get(t, h, "/orders/1")
	if got := strings.TrimSpace(w.Body.String()); got != `{"id":"1","items":[{"price":{"cents":250,"currency":"USD"}}],"total":{"cents":500,"currency":"USD"}}` {
		t.Errorf("body %s", got)
	}
	if w.Header().Get(Header) != "field" || w.Code != http.StatusOK {
		t.Errorf("%d %q: want 200 marked field", w.Code, w.Header().Get(Header))
	}

	name, value, _ = ParseField("status=\"lost\"")
	h = Wrap(orders(&calls), Faults{Field: name, Value: value})
	w = get(t, h, "/users/u/orders")
	if got := strings.TrimSpace(w.Body.String()); w.Code != http.StatusAccepted || got != `{"orders":[{"id":"1","status":"lost"},{"id":"2","status":"lost"}]}` {
		t.Errorf("list: %d %s", w.Code, got)
	}
	for _, path := range []string{"/text", "/healthz"} {
		if w := get(t, Wrap(orders(&calls), Faults{Field: "status", Value: json.RawMessage(`1`)}), path); w.Header().Get(Header) != "" ||
			(path == "/healthz" && strings.TrimSpace(w.Body.String()) != `{"status": "ok"}`) || (path == "/text" && w.Body.String() != "currency=EUR") {
			t.Errorf("%s: %q marked %q: want it unchanged", path, w.Body, w.Header().Get(Header))
		}
	}
}

func TestParseFieldAndCheck(t *testing.T) {
	for in, want := range map[string]string{"currency=USD": `"USD"`, "cents=0": `0`, "ok=true": `true`, `name="x"`: `"x"`, "note=": `""`} {
		name, v, err := ParseField(in)
		if err != nil || string(v) != want || name == "" {
			t.Errorf("ParseField(%q) = %q %s %v, want value %s", in, name, v, err, want)
		}
	}
	for _, bad := range []string{"currency", "=USD", ""} {
		if _, _, err := ParseField(bad); err == nil || !strings.Contains(err.Error(), "want NAME=VALUE") {
			t.Errorf("ParseField(%q): %v, want an error asking for NAME=VALUE", bad, err)
		}
	}
	for _, r := range []float64{-0.1, 1.5} {
		if err := (Faults{Rate: r}).Check(); err == nil || !strings.Contains(err.Error(), "want a fraction from 0 to 1") {
			t.Errorf("rate %v: %v", r, err)
		}
	}
	if (Faults{}).On() || Wrap(http.NotFoundHandler(), Faults{}) == nil {
		t.Error("the zero Faults injects something")
	}
}

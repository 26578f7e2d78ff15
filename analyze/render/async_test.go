package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/carve-dev/carve/analyze/plan"
)

// An async edge is drawn dashed in every picture, and never listed as a network call.
func TestAsyncEdgesDrawnDashed(t *testing.T) {
	p := readFixture(t)
	for _, tc := range []struct {
		format string
		opts   Options
		want   string
	}{
		{"dot", Options{}, `"example.com/shop/users" -> "example.com/shop/orders" [ltail="cluster_1", lhead="cluster_0", label="async: user.created", style=dashed`},
		{"dot", Options{Detail: DetailServices}, `s1 -> s0 [label="async: user.created", style=dashed`},
		{"dot", Options{Focus: "orders"}, `label="async: user.created", style=dashed`},
		{"mermaid", Options{}, `s1 -.->|"async: user.created"| s0`},
		{"mermaid", Options{Detail: DetailServices}, `s1 -.->|"async: user.created"| s0`},
	} {
		var buf bytes.Buffer
		if err := Render(&buf, tc.format, p, tc.opts); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), tc.want) {
			t.Errorf("%s %+v lacks %q:\n%s", tc.format, tc.opts, tc.want, buf.String())
		}
		// The sync edge stays solid.
		if tc.format == "mermaid" && strings.Contains(buf.String(), "s0 -.->|\"3 calls") {
			t.Errorf("%s: the sync edge is drawn dashed", tc.format)
		}
	}
	var buf bytes.Buffer
	if err := Text(&buf, p, Options{}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	calls := out[strings.Index(out, "network calls"):strings.Index(out, "Events between services")]
	if strings.Contains(calls, "users →") {
		t.Errorf("an async edge is listed as a network call:\n%s", calls)
	}
	if !strings.Contains(out, "users\n  users\n  GET /users/{id}\n  publishes nats:user.created\n") || !strings.Contains(out, "  consumes nats:user.created\n") {
		t.Errorf("text lacks the services' event contracts:\n%s", out)
	}
	if !strings.Contains(out, "users ⇢ orders: nats:user.created") {
		t.Errorf("text lacks the async edge:\n%s", out)
	}
}

func TestAsyncLabel(t *testing.T) {
	for _, tc := range []struct {
		topics []string
		want   string
	}{
		{[]string{"nats:a"}, "async: a"},
		{[]string{"nats:a", "kafka:b"}, "async: a, b"},
		{[]string{"nats:a", "nats:b", "nats:c"}, "async: 3 topics"},
	} {
		if got := asyncLabel(planAsync(tc.topics)); got != tc.want {
			t.Errorf("asyncLabel(%v) = %q, want %q", tc.topics, got, tc.want)
		}
	}
}

func planAsync(topics []string) plan.AsyncEdge { return plan.AsyncEdge{Topics: topics} }

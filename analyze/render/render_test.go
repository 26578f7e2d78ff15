package render

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carve-dev/carve/analyze/plan"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func readFixture(t *testing.T) *plan.Plan {
	t.Helper()
	p, err := plan.ReadFile(filepath.Join("testdata", "plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestGolden(t *testing.T) {
	p := readFixture(t)
	for _, tc := range []struct {
		format string
		opts   Options
		golden string
	}{
		{"text", Options{}, "plan.txt"},
		{"text", Options{Color: true}, "plan.color.txt"},
		{"dot", Options{}, "plan.dot"},
		{"mermaid", Options{}, "plan.mmd"},
		{"dot", Options{Detail: DetailServices}, "plan.services.dot"},
		{"mermaid", Options{Detail: DetailServices}, "plan.services.mmd"},
		{"dot", Options{Focus: "users"}, "plan.focus.dot"},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Render(&buf, tc.format, p, tc.opts); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", tc.golden)
			if *update {
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got := buf.String(); got != string(want) {
				t.Errorf("%s output differs from %s (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", tc.format, path, got, want)
			}
		})
	}
}

func TestJSONRoundTrip(t *testing.T) {
	p := readFixture(t)
	var buf bytes.Buffer
	if err := Render(&buf, "json", p, Options{}); err != nil {
		t.Fatal(err)
	}
	back, err := plan.Read(&buf)
	if err != nil {
		t.Fatalf("JSON output does not read back as a plan: %v", err)
	}
	if len(back.Services) != 2 || back.Services[0].Name != "orders" || *back.Metrics.ARI != 0.9 {
		t.Errorf("round trip lost data: %+v", back)
	}
}

func TestTextNoColorHasNoEscapes(t *testing.T) {
	var buf bytes.Buffer
	if err := Text(&buf, readFixture(t), Options{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "\x1b[") {
		t.Error("text without Color contains ANSI escapes")
	}
	for _, want := range []string{"orders", "users", "shop(rw)", "orders → users: 3 calls", "ARI 0.900", "platform/httpx"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("text report lacks %q", want)
		}
	}
}

func TestUnknownFormat(t *testing.T) {
	err := Render(&bytes.Buffer{}, "yaml", readFixture(t), Options{})
	if err == nil || !strings.Contains(err.Error(), "text, json, dot, mermaid") {
		t.Errorf("want an error listing the formats, got %v", err)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }

func TestWriteErrorsReported(t *testing.T) {
	for _, f := range Formats {
		if err := Render(failWriter{}, f, readFixture(t), Options{}); err == nil {
			t.Errorf("%s: a failing writer gave no error", f)
		}
	}
}

// Above ServiceLevelAbove packages (or when asked) pictures show one node per service; --focus
// draws one service's packages and its neighbours; a crowded picture keeps each service's
// heaviest dependencies and says so.
func TestPictureDetail(t *testing.T) {
	p := readFixture(t)
	draw := func(format string, opts Options) string {
		t.Helper()
		var buf bytes.Buffer
		if err := Render(&buf, format, p, opts); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	svc := draw("dot", Options{Detail: DetailServices})
	for _, want := range []string{`label="orders\n`, `kernel [label=`, `penwidth=`} {
		if !strings.Contains(svc, want) {
			t.Errorf("service-level DOT lacks %q:\n%s", want, svc)
		}
	}
	if strings.Contains(svc, "subgraph cluster_") {
		t.Errorf("service-level DOT draws package clusters:\n%s", svc)
	}
	if pk := draw("dot", Options{}); !strings.Contains(pk, "subgraph cluster_") {
		t.Errorf("a small plan's DOT is not package-level by default")
	}
	if m := draw("mermaid", Options{Detail: DetailServices}); !strings.Contains(m, `s0["orders`) {
		t.Errorf("service-level Mermaid:\n%s", m)
	}
	focus := draw("dot", Options{Focus: "users"})
	if !strings.Contains(focus, "example.com/shop/users") || strings.Contains(focus, "platform/httpx") {
		t.Errorf("focus on users:\n%s", focus)
	}
	var buf bytes.Buffer
	if err := Render(&buf, "dot", p, Options{Focus: "nope"}); err == nil || !strings.Contains(err.Error(), "no such service") {
		t.Errorf("focus on an unknown service: %v", err)
	}
	var edges []plan.Edge
	for i := range 10 {
		edges = append(edges, plan.Edge{From: "a", To: fmt.Sprint(i), Calls: 10 - i})
	}
	kept, hidden := heaviestPerService(edges, 2)
	if len(kept) != maxEdgesPerService || hidden != 10-maxEdgesPerService || kept[0].Calls != 10 {
		t.Errorf("heaviestPerService kept %v, hid %d", kept, hidden)
	}
}

package render

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/carve-dev/carve/analyze/plan"
)

// TestTextCoverage: the text report says what was recognised, with counts, and lists the call
// sites that could not be read, the first ten unless verbose.
func TestTextCoverage(t *testing.T) {
	p := plan.New("example.com/m")
	p.Coverage = &plan.Coverage{Frameworks: []plan.Framework{{Name: "chi", Kind: "router", Uses: 9}, {Name: "grpc", Kind: "grpc", Uses: 2}}}
	for i := range 12 {
		p.Coverage.Unresolved = append(p.Coverage.Unresolved, plan.Unresolved{Kind: "router", Site: fmt.Sprintf("main.go:%d", i+1), Call: "r.Get(p, h)", Why: "the path is not a constant"})
	}
	for _, verbose := range []bool{false, true} {
		var b bytes.Buffer
		if err := Text(&b, p, Options{Verbose: verbose}); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		for _, want := range []string{"Recognised: chi 9 routes, grpc 2 services\n", "Not read: 12 call site(s)", "  router main.go:1: r.Get(p, h): the path is not a constant\n"} {
			if !strings.Contains(out, want) {
				t.Errorf("verbose %v: output lacks %q:\n%s", verbose, want, out)
			}
		}
		if got := strings.Contains(out, "main.go:12:"); got != verbose {
			t.Errorf("verbose %v: 12th site listed %v:\n%s", verbose, got, out)
		}
		if got := strings.Contains(out, "… 2 more"); got == verbose {
			t.Errorf("verbose %v: '… 2 more' shown %v:\n%s", verbose, got, out)
		}
	}
	// A plan without coverage (written before it existed) says nothing about it.
	p.Coverage = nil
	var b bytes.Buffer
	if err := Text(&b, p, Options{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "Recognised") || strings.Contains(b.String(), "Not read") {
		t.Errorf("coverage shown without coverage:\n%s", b.String())
	}
}

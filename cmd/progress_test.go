package cmd

import (
	"bytes"
	"strings"
	"testing"
)

// Off a terminal the indicator draws nothing, so pipes and logs stay clean; on one it draws the
// stage with its count and clears the line at the end.
func TestProgress(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf)
	p.Update("type-checking", 3, 10)
	p.Done()
	if buf.Len() != 0 {
		t.Fatalf("progress wrote to a non-terminal: %q", buf.String())
	}

	p = &progress{w: &buf, enabled: true}
	p.Update("listing packages", 0, 0)
	p.Update("type-checking", 10, 10)
	p.Done()
	out := buf.String()
	for _, want := range []string{"listing packages", "type-checking 10/10", "\r\x1b[K"} {
		if !strings.Contains(out, want) {
			t.Errorf("progress output %q lacks %q", out, want)
		}
	}
	if !strings.HasSuffix(out, "\r\x1b[K") {
		t.Errorf("Done did not clear the line: %q", out)
	}
}

package ryw

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

type count struct{ n atomic.Int64 }

func (c *count) Inc() { c.n.Add(1) }

// value extracts the cookie value from a Set-Cookie line.
func value(setCookie string) string {
	v, _, _ := strings.Cut(strings.TrimPrefix(setCookie, "c="), ";")
	return v
}

func TestChoose(t *testing.T) {
	var ms, hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		fmt.Fprintf(w, `{"watermark_unix_ms": %d}`, ms.Load())
	}))
	defer srv.Close()
	held, forced := &count{}, &count{}
	g, err := NewGuard("c", []byte("0123456789abcdef"), time.Second, map[string]*Source{"svc": {URL: srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	g.Held, g.Forced = held, forced
	sides := []string{"mono", "svc"}
	ctx := context.Background()
	t0 := time.UnixMilli(1_700_000_000_000)

	// A write on mono records its side and time.
	_, v := g.Choose(ctx, "", 0, sides, t0, true)
	mark := value(v.SetCookie(201, t0, false))
	if !strings.HasPrefix(mark, "mono.") {
		t.Fatalf("write cookie %q", mark)
	}
	if c := v.SetCookie(500, t0, false); c != "" {
		t.Errorf("a failed write set %q", c)
	}

	ms.Store(t0.Add(-time.Millisecond).UnixMilli())
	side, v := g.Choose(ctx, mark, 1, sides, t0.Add(10*time.Millisecond), false)
	if side != 0 {
		t.Fatalf("watermark behind the write: side %d, want 0 (held)", side)
	}
	heldMark := value(v.SetCookie(200, t0.Add(10*time.Millisecond), false))
	if heldMark == "" || heldMark == mark {
		t.Fatalf("the first held request must record since when: %q", heldMark)
	}
	// Held writes keep the time the hold began: a user writing all the time still moves
	// after max_wait.
	side, v = g.Choose(ctx, heldMark, 1, sides, t0.Add(500*time.Millisecond), true)
	if side != 0 {
		t.Fatalf("a held write went to %d", side)
	}
	w2 := value(v.SetCookie(201, t0.Add(500*time.Millisecond), false))
	if side, _ := g.Choose(ctx, w2, 1, sides, t0.Add(1200*time.Millisecond), false); side != 1 || forced.n.Load() != 1 {
		t.Errorf("past max_wait from the first hold: side %d, forced %d; want 1, 1", side, forced.n.Load())
	}

	// The watermark reaches the write: the user moves. Reads are cached for Refresh.
	ms.Store(t0.UnixMilli())
	hitsBefore := hits.Load()
	if side, _ := g.Choose(ctx, mark, 1, sides, t0.Add(1210*time.Millisecond), false); side != 0 {
		t.Errorf("within Refresh of the last read the cached watermark must be used: side %d", side)
	}
	if side, _ := g.Choose(ctx, mark, 1, sides, t0.Add(1400*time.Millisecond), false); side != 1 {
		t.Errorf("watermark at the write: side %d, want 1", side)
	}
	if hits.Load()-hitsBefore != 1 {
		t.Errorf("%d watermark reads, want 1", hits.Load()-hitsBefore)
	}
	ms.Store(0) // a watermark never goes back
	if side, _ := g.Choose(ctx, mark, 1, sides, t0.Add(1600*time.Millisecond), false); side != 1 {
		t.Errorf("a lower watermark read later must not hold the user again: side %d", side)
	}
	for _, bad := range []string{"", "mono", "mono.1", "mono.1.0.abc", mark + "0", "svc" + mark[4:]} {
		if side, _ := g.Choose(ctx, bad, 1, sides, t0.Add(time.Minute), false); side != 1 {
			t.Errorf("cookie %q: side %d, want 1 (not believed)", bad, side)
		}
	}
	if held.n.Load() != 3 {
		t.Errorf("held %d, want 3", held.n.Load())
	}
	if _, err := NewGuard("c", []byte("short"), time.Second, nil); err == nil {
		t.Error("a short key was accepted")
	}
}

package ryw

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

type count struct{ n atomic.Int64 }

func (c *count) Inc() { c.n.Add(1) }

func TestChoose(t *testing.T) {
	var ms atomic.Int64
	var hits atomic.Int64
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
	t0 := time.UnixMilli(1_700_000_000_000)
	mark := g.Mark("mono", t0)
	ctx := context.Background()
	ms.Store(t0.Add(-time.Millisecond).UnixMilli())
	if got := g.Choose(ctx, mark, 1, sides, t0.Add(10*time.Millisecond)); got != 0 {
		t.Errorf("watermark behind the write: side %d, want 0 (held)", got)
	}
	if got := g.Choose(ctx, mark, 0, sides, t0.Add(20*time.Millisecond)); got != 0 {
		t.Errorf("already on the side written to: side %d, want 0", got)
	}
	ms.Store(t0.UnixMilli())
	if got := g.Choose(ctx, mark, 1, sides, t0.Add(50*time.Millisecond)); got != 0 {
		t.Errorf("a read within Refresh of the last one must reuse it: side %d, want 0", got)
	}
	if got := g.Choose(ctx, mark, 1, sides, t0.Add(200*time.Millisecond)); got != 1 {
		t.Errorf("watermark at the write: side %d, want 1", got)
	}
	if hits.Load() != 2 {
		t.Errorf("%d watermark reads, want 2 (cached for Refresh)", hits.Load())
	}
	ms.Store(0) // a watermark never goes back
	if got := g.Choose(ctx, mark, 1, sides, t0.Add(400*time.Millisecond)); got != 1 {
		t.Errorf("a lower watermark read later must not hold the user again: side %d", got)
	}
	later := g.Mark("mono", t0.Add(time.Minute))
	if got := g.Choose(ctx, later, 1, sides, t0.Add(time.Minute+2*time.Second)); got != 1 || forced.n.Load() != 1 {
		t.Errorf("past max_wait: side %d, forced %d; want 1 and 1", got, forced.n.Load())
	}
	for _, bad := range []string{"", "mono", "mono.1", "mono.1.abc", later + "0", "svc" + later[4:]} {
		if got := g.Choose(ctx, bad, 1, sides, t0.Add(time.Minute)); got != 1 {
			t.Errorf("cookie %q: side %d, want 1 (not believed)", bad, got)
		}
	}
	if held.n.Load() != 2 {
		t.Errorf("held %d, want 2", held.n.Load())
	}
	if _, err := NewGuard("c", []byte("short"), time.Second, nil); err == nil {
		t.Error("a short key was accepted")
	}
}

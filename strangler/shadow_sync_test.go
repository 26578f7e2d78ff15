package strangler

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// On a read_your_writes route, a shadow copy waits until the sync feeding the candidate has
// applied every change made before the primary answered: the candidate, whose store lags
// behind, is not compared before it has the data (replication lag is not a difference), the
// noise call does not wait, and a copy whose sync stays behind past max_wait is dropped and
// counted, never compared.
func TestShadowWaitsForTheSync(t *testing.T) {
	for _, fe := range frontEnds(t) {
		t.Run(fe.name, func(t *testing.T) {
			var monoHits atomic.Int64
			mono := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				monoHits.Add(1)
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, `{"status": "paid"}`)
			}))
			defer mono.Close()
			// The candidate's store has the order as paid once the sync applied it.
			var applied atomic.Bool
			var copies atomic.Int64
			cand := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				copies.Add(1)
				w.Header().Set("Content-Type", "application/json")
				if applied.Load() {
					io.WriteString(w, `{"status": "paid"}`)
				} else {
					io.WriteString(w, `{"status": "pending"}`)
				}
			}))
			defer cand.Close()
			wm := newWatermarkServer(t)
			wm.ms.Store(time.Now().Add(-time.Hour).UnixMilli())
			r := start(t, fe.tls+fmt.Sprintf(`listen: "127.0.0.1:0"
admin: {listen: "127.0.0.1:0", token_env: TOKEN}
access_log: {sample: 0}
upstreams:
  monolith: {targets: [%q]}
  orders: {targets: [%q]}
routes:
  - name: items
    match: {paths: ["/items"]}
    split: {monolith: 100, orders: 0}
    shadow: {upstream: orders, sample: 1, noise: 0, noise_warmup: 1}
    read_your_writes: {secret_env: RYW_KEY, max_wait: 400ms, watermarks: {orders: %q}}
default: monolith
`, mono.URL, cand.URL, wm.srv.URL), startOpts{tls: fe.tls != "", env: map[string]string{"TOKEN": "s3cret", "RYW_KEY": "0123456789abcdef-key"}})
			c := feClient(fe)

			// The sync is behind: the copy waits, its noise call (the primary again) made at once,
			// while the state the client saw still holds.
			if resp, body := get(t, c, r.url+"/items", nil); resp.StatusCode != 200 || body != `{"status": "paid"}` {
				t.Fatalf("client got %d %q", resp.StatusCode, body)
			}
			waitFor(t, "the noise call", func() bool { return monoHits.Load() == 2 })
			time.Sleep(150 * time.Millisecond)
			if rep, _ := r.p.Diff("items", 10); rep.Compared != 0 || copies.Load() != 0 {
				t.Fatalf("compared %d, %d calls to the candidate while its sync is behind, want none", rep.Compared, copies.Load())
			}
			// The sync applies the write: the copy goes, and the answers agree.
			applied.Store(true)
			wm.ms.Store(time.Now().UnixMilli())
			var rep DiffReport
			waitFor(t, "the copy compared", func() bool {
				rep, _ = r.p.Diff("items", 10)
				return rep.Compared == 1
			})
			if rep.Differing != 0 {
				t.Errorf("differing %d: %+v, want 0 (the candidate had the data when asked)", rep.Differing, rep.Fields)
			}

			// A sync that stays behind past max_wait: the copy is dropped and counted.
			applied.Store(false)
			get(t, c, r.url+"/items", nil)
			dropped := r.p.m.shadowDropped.WithLabelValues("items", "sync_behind")
			waitFor(t, "the copy dropped", func() bool { return testutil.ToFloat64(dropped) == 1 })
			if rep, _ := r.p.Diff("items", 10); rep.Compared != 1 || rep.Differing != 0 || copies.Load() != 1 {
				t.Errorf("compared %d, differing %d, %d calls to the candidate: want the dropped copy neither sent nor compared", rep.Compared, rep.Differing, copies.Load())
			}
		})
	}
}

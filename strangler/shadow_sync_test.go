package strangler

import (
	"fmt"
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
// noise call does not wait; a copy whose data changed meanwhile (the primary, asked again,
// answers otherwise) is dropped, a faulty one is a difference; a copy whose sync
// stays behind past max_wait is dropped and counted, never compared.
// Long on purpose: one scenario told in order, each step needing the state the one before left.
func TestShadowWaitsForTheSync(t *testing.T) {
	for _, fe := range frontEnds(t) {
		t.Run(fe.name, func(t *testing.T) {
			// Each side answers the order's status in its store; the candidate's gets it by sync.
			var monoHits, copies atomic.Int64
			var monoState, candState atomic.Value
			monoState.Store("paid")
			candState.Store("pending")
			answer := func(hits *atomic.Int64, state *atomic.Value) *httptest.Server {
				return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
					hits.Add(1)
					w.Header().Set("Content-Type", "application/json")
					fmt.Fprintf(w, `{"status": %q}`, state.Load())
				}))
			}
			mono, cand := answer(&monoHits, &monoState), answer(&copies, &candState)
			defer mono.Close()
			defer cand.Close()
			wm := newWatermarkServer(t)
			wm.ms.Store(time.Now().Add(-time.Hour).UnixMilli())
			r := start(t, shadowConfig(fe, mono.URL, cand.URL, fmt.Sprintf(`{upstream: orders, sample: 1, noise: 0, noise_warmup: 1}
    read_your_writes: {secret_env: RYW_KEY, max_wait: 400ms, watermarks: {orders: %q}}`, wm.srv.URL)), startOpts{tls: fe.tls != "", env: map[string]string{"TOKEN": "s3cret", "RYW_KEY": "0123456789abcdef-key"}})
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
			candState.Store("paid")
			wm.ms.Store(time.Now().UnixMilli() + 1)
			waitFor(t, "the copy compared", func() bool {
				rep, _ := r.p.Diff("items", 10)
				return rep.Compared == 1
			})
			want := func(compared, differing int64, what string) {
				t.Helper()
				if rep, _ := r.p.Diff("items", 10); rep.Compared != compared || rep.Differing != differing {
					t.Errorf("%s: compared %d, differing %d (%+v), want %d, %d", what, rep.Compared, rep.Differing, rep.Fields, compared, differing)
				}
			}
			want(1, 0, "the candidate had the data when asked")

			// The order is cancelled on the monolith while the copy waits, and the sync brings
			// it: the candidate answers the newer state, as the primary now does. Not compared.
			get(t, c, r.url+"/items", nil)
			monoState.Store("cancelled")
			candState.Store("cancelled")
			wm.ms.Store(time.Now().UnixMilli() + 1)
			changed := r.p.m.shadowDropped.WithLabelValues("items", "state_changed")
			waitFor(t, "the copy dropped as a state change", func() bool { return testutil.ToFloat64(changed) == 1 })
			want(1, 0, "the data changed between the two answers")
			// Changed again, and the candidate shows a state between the two: not judged either.
			get(t, c, r.url+"/items", nil)
			monoState.Store("refunded")
			candState.Store("refunding")
			wm.ms.Store(time.Now().UnixMilli() + 1)
			waitFor(t, "the second copy dropped as a state change", func() bool { return testutil.ToFloat64(changed) == 2 })
			want(1, 0, "a state between the two answers")

			// A faulty candidate: the primary, asked again, still answers as before. A difference.
			candState.Store("REFUNDED")
			get(t, c, r.url+"/items", nil)
			wm.ms.Store(time.Now().UnixMilli() + 1)
			waitFor(t, "the faulty copy compared", func() bool {
				rep, _ := r.p.Diff("items", 10)
				return rep.Compared == 2
			})
			want(2, 1, "a faulty candidate")

			// A sync that stays behind past max_wait: the copy is dropped and counted.
			sent := copies.Load()
			get(t, c, r.url+"/items", nil)
			dropped := r.p.m.shadowDropped.WithLabelValues("items", "sync_behind")
			waitFor(t, "the copy dropped", func() bool { return testutil.ToFloat64(dropped) == 1 })
			want(2, 1, "a copy whose sync stayed behind")
			if copies.Load() != sent {
				t.Errorf("%d calls to the candidate for a copy whose sync stayed behind", copies.Load()-sent)
			}
		})
	}
}

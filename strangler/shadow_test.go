package strangler

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// itemsBackend answers GET /items?n=N with JSON carrying N, a price, and a timestamp that
// differs on every call (noise). It remembers the bodies it served by N.
type itemsBackend struct {
	srv    *httptest.Server
	price  int
	mu     sync.Mutex
	served map[string]string
	hits   atomic.Int64
	delay  atomic.Int64  // every answer waits this long (a time.Duration)
	block  chan struct{} // when set, every request waits on it
}

func newItemsBackend(t *testing.T, price int) *itemsBackend {
	b := &itemsBackend{price: price, served: map[string]string{}}
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.hits.Add(1)
		time.Sleep(time.Duration(b.delay.Load()))
		if b.block != nil {
			select {
			case <-b.block:
			case <-r.Context().Done():
				return
			}
		}
		n := r.URL.Query().Get("n")
		body := fmt.Sprintf(`{"n": %q, "price": %d, "at": %q, "tags": ["a", "b"]}`, n, b.price, time.Now().Format(time.RFC3339Nano))
		b.mu.Lock()
		if _, ok := b.served[n]; !ok { // the first answer, the client's (a noise call comes after)
			b.served[n] = body
		}
		b.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Set-Cookie", "session=abc123")
		io.WriteString(w, body)
	}))
	t.Cleanup(b.srv.Close)
	return b
}

func (b *itemsBackend) body(n string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.served[n]
}

func shadowConfig(fe frontEnd, mono, cand, shadow string) string {
	return fe.tls + testConfig(mono, cand, `  - name: items
    match: {paths: ["/items"]}
    split: {monolith: 100, orders: 0}
    shadow: `+shadow)
}

func feClient(fe frontEnd) *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, ForceAttemptHTTP2: fe.h2}}
}

// A candidate that changed a JSON field is caught field by field, on both front ends; the
// timestamp, which differs between two monolith answers too, is learned as noise and ignored;
// the client gets the monolith's bytes; the examples are redacted.
func TestShadowDiffsAndNoise(t *testing.T) {
	for _, fe := range withH2(t) {
		t.Run(fe.name, func(t *testing.T) {
			mono, cand := newItemsBackend(t, 10), newItemsBackend(t, 11)
			r := start(t, shadowConfig(fe, mono.srv.URL, cand.srv.URL, "{upstream: orders, sample: 1, noise_warmup: 3, noise: 0}"), startOpts{env: token, tls: fe.tls != ""})
			c := feClient(fe)
			const n = 20
			for i := range n {
				key := fmt.Sprint(i)
				resp, body := get(t, c, r.url+"/items?n="+key+"&token=hush", map[string]string{"Authorization": "Bearer sekrit"})
				if resp.StatusCode != 200 || body != mono.body(key) {
					t.Fatalf("request %d: client got %d %q, the monolith served %q", i, resp.StatusCode, body, mono.body(key))
				}
			}
			var rep DiffReport
			waitFor(t, "20 comparisons", func() bool {
				var err error
				rep, err = r.p.Diff("items", 10)
				return err == nil && rep.Compared == n
			})
			if rep.Differing != n {
				t.Errorf("differing = %d, want %d (every answer has another price)", rep.Differing, n)
			}
			if len(rep.Fields) != 1 || rep.Fields[0].Field != "$.price" || rep.Fields[0].Count != n {
				t.Fatalf("fields = %+v, want only $.price, %d times", rep.Fields, n)
			}
			if strings.Join(rep.Noise, ",") != "$.at" {
				t.Errorf("noise = %v, want [$.at] (the timestamp)", rep.Noise)
			}
			ex := rep.Fields[0].Examples[0]
			if ex.Primary != "10" || ex.Candidate != "11" || ex.CandR.Status != 200 {
				t.Errorf("example = %+v", ex)
			}
			raw, _ := json.Marshal(rep)
			for _, secret := range []string{"sekrit", "hush", "abc123"} {
				if strings.Contains(string(raw), secret) {
					t.Errorf("the report leaks %q: %s", secret, raw)
				}
			}
			if got := testutil.ToFloat64(r.p.m.shadowFields.WithLabelValues("items", "$.price")); got != n {
				t.Errorf("carve_proxy_shadow_field_differences_total{field=$.price} = %v, want %d", got, n)
			}
			if got := testutil.ToFloat64(r.p.m.shadowFields.WithLabelValues("items", "$.at")); got != 0 {
				t.Errorf("the noise field was counted %v times", got)
			}
			// The admin endpoint serves the same report.
			req, _ := http.NewRequest("GET", r.admin+"/routes/items/diff?top=1", nil)
			req.Header.Set("Authorization", "Bearer s3cret")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var got DiffReport
			if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || got.Compared != n || len(got.Fields) != 1 {
				t.Errorf("GET /routes/items/diff: %v %+v", err, got)
			}
		})
	}
}

// A candidate that hangs, then one that fails, never changes the client's status or bytes;
// copies beyond the queue are dropped and counted.
func TestShadowNeverTouchesTheClient(t *testing.T) {
	for _, fe := range frontEnds(t) {
		t.Run(fe.name, func(t *testing.T) {
			mono, cand := newItemsBackend(t, 10), newItemsBackend(t, 10)
			cand.block = make(chan struct{})
			defer close(cand.block)
			r := start(t, shadowConfig(fe, mono.srv.URL, cand.srv.URL, "{upstream: orders, sample: 1, concurrency: 1, queue: 2, noise: 0, noise_warmup: 1, timeout: 30s}"), startOpts{env: token, tls: fe.tls != ""})
			c := feClient(fe)
			for i := range 10 {
				key := fmt.Sprint(i)
				resp, body := get(t, c, r.url+"/items?n="+key, nil)
				if resp.StatusCode != 200 || body != mono.body(key) {
					t.Fatalf("request %d: client got %d %q, the monolith served %q", i, resp.StatusCode, body, mono.body(key))
				}
			}
			// One copy in flight (blocked), two queued, the rest dropped.
			if got := testutil.ToFloat64(r.p.m.shadowDropped.WithLabelValues("items", "queue_full")); got < 6 {
				t.Errorf("dropped for a full queue: %v, want at least 6 of 10", got)
			}
		})
	}
}

// A candidate that breaks the connection is a difference in status (502), not the client's.
func TestShadowFailingCandidate(t *testing.T) {
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _, _ := w.(http.Hijacker).Hijack()
		c.Close()
	}))
	t.Cleanup(broken.Close)
	for _, fe := range frontEnds(t) {
		t.Run(fe.name, func(t *testing.T) {
			mono := newItemsBackend(t, 10)
			r := start(t, shadowConfig(fe, mono.srv.URL, broken.URL, "{upstream: orders, sample: 1, noise: 0, noise_warmup: 1}"), startOpts{env: token, tls: fe.tls != ""})
			c := feClient(fe)
			for i := range 5 {
				key := fmt.Sprint(i)
				if resp, body := get(t, c, r.url+"/items?n="+key, nil); resp.StatusCode != 200 || body != mono.body(key) {
					t.Fatalf("client got %d %q", resp.StatusCode, body)
				}
			}
			waitFor(t, "5 comparisons", func() bool { rep, _ := r.p.Diff("items", 10); return rep.Compared == 5 })
			rep, _ := r.p.Diff("items", 10)
			if rep.Differing != 5 || len(rep.Fields) != 1 || rep.Fields[0].Field != "status" || !strings.HasPrefix(rep.Fields[0].Examples[0].Candidate, "502: ") {
				t.Errorf("report = %+v, want only status differing 5 times, with the candidate's error", rep)
			}
		})
	}
}

// Only the listed methods are copied.
func TestShadowMethods(t *testing.T) {
	mono, cand := newItemsBackend(t, 10), newItemsBackend(t, 10)
	r := start(t, shadowConfig(frontEnd{name: "plain"}, mono.srv.URL, cand.srv.URL, "{upstream: orders, sample: 1, methods: [GET], noise: 0, noise_warmup: 1}"), startOpts{env: token})
	resp, err := http.Post(r.url+"/items?n=1", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	get(t, http.DefaultClient, r.url+"/items?n=2", nil)
	waitFor(t, "1 comparison", func() bool { rep, _ := r.p.Diff("items", 10); return rep.Compared == 1 })
	time.Sleep(50 * time.Millisecond)
	if rep, _ := r.p.Diff("items", 10); rep.Compared != 1 || rep.Differing != 0 {
		t.Errorf("report = %+v, want one comparison (the GET), no difference", rep)
	}
}

func TestDiffJSON(t *testing.T) {
	cases := []struct{ a, b, want string }{
		{`{"a":1}`, `{"a":1}`, ""},
		{`{"a":1,"b":2}`, `{"a":1}`, "$.b"},
		{`{"a":[1,2]}`, `{"a":[1,3,4]}`, "$.a.length $.a[*]"},
		{`{"a":{"b":"x"}}`, `{"a":{"b":null}}`, "$.a.b"},
		{`[1]`, `{"a":1}`, "$"},
	}
	for _, c := range cases {
		a := &answer{Status: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(c.a)}
		b := &answer{Status: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(c.b)}
		var got []string
		for _, d := range diffAnswers(a, b, []string{"Content-Type"}) {
			got = append(got, d.Field)
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("%s vs %s: %v, want %q", c.a, c.b, got, c.want)
		}
	}
	// Not JSON: by hash.
	a := &answer{Status: 200, Header: http.Header{}, Body: []byte("x")}
	b := &answer{Status: 201, Header: http.Header{}, Body: []byte("y")}
	if d := diffAnswers(a, b, nil); len(d) != 2 || d[0].Field != "status" || d[1].Field != "body" {
		t.Errorf("text bodies: %+v", d)
	}
}

// BenchmarkShadowDiff is the diffing of one copy: a 2 KiB JSON answer of 20 items against one
// with a changed field. bench/proxy.sh measures shadowing's whole cost per primary request.
func BenchmarkShadowDiff(b *testing.B) {
	var items []string
	for i := range 20 {
		items = append(items, fmt.Sprintf(`{"id": %d, "name": "item %d", "price": %d.5, "tags": ["a", "b"]}`, i, i, i))
	}
	primary := []byte(`{"items": [` + strings.Join(items, ", ") + `], "at": "2026-01-01T00:00:00Z"}`)
	candidate := []byte(strings.Replace(string(primary), `"price": 7.5`, `"price": 8.5`, 1))
	h := http.Header{"Content-Type": {"application/json"}}
	a, c := &answer{Status: 200, Header: h, Body: primary}, &answer{Status: 200, Header: h, Body: candidate}
	b.SetBytes(int64(len(primary)))
	b.ReportAllocs()
	for b.Loop() {
		if d := diffAnswers(a, c, []string{"Content-Type"}); len(d) != 1 {
			b.Fatalf("diffs: %+v", d)
		}
	}
}

// echoServer answers every request with its body as JSON ({"got": BODY}), after telling seen
// of the request and its body.
func echoServer(t *testing.T, seen func(r *http.Request, body []byte)) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		seen(r, b)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"got": %q}`, b)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// With unsafe: true a POST is copied with its body, on both front ends.
func TestShadowCopiesBody(t *testing.T) {
	for _, fe := range withH2(t) {
		t.Run(fe.name, func(t *testing.T) {
			bodies := make(chan string, 4)
			mono := echoServer(t, func(*http.Request, []byte) {})
			cand := echoServer(t, func(r *http.Request, b []byte) { bodies <- string(b) + " via " + r.Header.Get("X-Forwarded-Proto") })
			r := start(t, shadowConfig(fe, mono.URL, cand.URL, "{upstream: orders, sample: 1, methods: [POST], unsafe: true, noise: 0, noise_warmup: 1}"), startOpts{env: token, tls: fe.tls != ""})
			resp, err := feClient(fe).Post(r.url+"/items", "text/plain", strings.NewReader("hello"))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(b) != `{"got": "hello"}` {
				t.Fatalf("client got %q", b)
			}
			proto := map[bool]string{false: "http", true: "https"}[fe.tls != ""]
			select {
			case got := <-bodies:
				if got != "hello via "+proto {
					t.Errorf("the candidate got %q, want %q", got, "hello via "+proto)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the candidate got no copy")
			}
			waitFor(t, "1 comparison", func() bool { rep, _ := r.p.Diff("items", 10); return rep.Compared == 1 })
			if rep, _ := r.p.Diff("items", 10); rep.Differing != 0 {
				t.Errorf("equal answers differ: %+v", rep)
			}
		})
	}
}

// A sampled chunked answer reaches the client byte for byte: within max_body_bytes it is held
// and copied, beyond it sent whole and not copied (counted).
func TestShadowChunkedAnswer(t *testing.T) {
	big := strings.Repeat("0123456789abcdef", 4096) // 64 KiB
	mono := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, big[:len(big)/2])
		w.(http.Flusher).Flush() // chunked
		io.WriteString(w, big[len(big)/2:])
	}))
	t.Cleanup(mono.Close)
	for _, fe := range frontEnds(t) {
		for _, max := range []string{"1048576", "1024"} {
			t.Run(fe.name+"/max"+max, func(t *testing.T) {
				cand, _ := rolloutBackend(t, 1, 0)
				r := start(t, shadowConfig(fe, mono.URL, cand.URL, "{upstream: orders, sample: 1, noise: 0, noise_warmup: 1, max_body_bytes: "+max+"}"), startOpts{env: token, tls: fe.tls != ""})
				resp, body := get(t, feClient(fe), r.url+"/items", nil)
				if resp.StatusCode != 200 || body != big {
					t.Fatalf("client got %d and %d bytes, want 200 and the %d the monolith sent", resp.StatusCode, len(body), len(big))
				}
				if max == "1024" {
					waitFor(t, "a drop", func() bool {
						return testutil.ToFloat64(r.p.m.shadowDropped.WithLabelValues("items", "body_too_large")) == 1
					})
				} else {
					waitFor(t, "a comparison", func() bool { rep, _ := r.p.Diff("items", 1); return rep.Compared == 1 })
				}
			})
		}
	}
}

// The candidate gets the request as the monolith got it — the same headers (the client's own,
// the forwarding ones, repeated fields in order) and the same body — from a chunked POST sent
// as raw bytes to the plain front end: the copy is sent whole, with its length in place of the
// client's chunking.
func TestShadowCopiesRequestAsSent(t *testing.T) {
	type seen struct {
		header http.Header
		body   string
	}
	got := map[string]chan seen{"monolith": make(chan seen, 4), "orders": make(chan seen, 4)}
	echo := func(name string) *httptest.Server {
		return echoServer(t, func(r *http.Request, b []byte) {
			h := r.Header.Clone()
			h.Set("Host", r.Host)
			got[name] <- seen{h, string(b)}
		})
	}
	mono, cand := echo("monolith"), echo("orders")
	fe := frontEnds(t)[0]
	r := start(t, shadowConfig(fe, mono.URL, cand.URL, "{upstream: orders, sample: 1, methods: [POST], unsafe: true, noise: 0, noise_warmup: 0}"), startOpts{env: token})
	conn, err := net.Dial("tcp", strings.TrimPrefix(r.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	raw := "POST /items?x=1 HTTP/1.1\r\nHost: shop.example\r\nX-Trace: a\r\nX-Trace: b\r\nContent-Type: text/plain\r\n" +
		"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n"
	if _, err := conn.Write([]byte(raw)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != `{"got": "hello"}` {
		t.Fatalf("client got %q", b)
	}
	wait := func(name string) seen {
		select {
		case s := <-got[name]:
			return s
		case <-time.After(10 * time.Second):
			t.Fatalf("%s got no request", name)
			return seen{}
		}
	}
	m, c := wait("monolith"), wait("orders")
	if c.body != "hello" || m.body != "hello" {
		t.Errorf("bodies: monolith %q, candidate %q, want hello", m.body, c.body)
	}
	for _, h := range []http.Header{m.header, c.header} {
		h.Del("Content-Length") // the monolith may get the client's chunks, the copy its length
		h.Del("Transfer-Encoding")
	}
	if !maps.EqualFunc(m.header, c.header, slices.Equal) {
		t.Errorf("the candidate's headers differ from the monolith's:\nmonolith  %v\ncandidate %v", m.header, c.header)
	}
	if c.header.Get("X-Forwarded-For") == "" || !slices.Equal(c.header.Values("X-Trace"), []string{"a", "b"}) || c.header.Get("Host") != "shop.example" {
		t.Errorf("candidate's headers %v: want X-Forwarded-For, both X-Trace values in order and the client's Host", c.header)
	}
}

// After the warm-up, the primary is asked again only about a difference not known as noise: a
// candidate answering as the monolith does (but for the timestamp, learned in the warm-up)
// costs the monolith no second call even at noise: 1, where every copy used to make one. A
// candidate answering later than a noise call may wait for has its noise calls made before its
// own (after its answer they would come too late, and the noise would go unlearned), and shows
// no difference either.
func TestShadowNoiseCallsOnlyOnDifferences(t *testing.T) {
	for _, delay := range []time.Duration{0, 2 * noisePrompt} {
		t.Run(fmt.Sprint("candidate delay ", delay), func(t *testing.T) {
			fe := frontEnds(t)[0]
			mono, cand := newItemsBackend(t, 10), newItemsBackend(t, 10)
			cand.delay.Store(int64(delay))
			const n, warmup, concurrency = 20, 3, 2
			r := start(t, shadowConfig(fe, mono.srv.URL, cand.srv.URL, fmt.Sprintf("{upstream: orders, sample: 1, noise: 1, noise_warmup: %d, concurrency: %d}", warmup, concurrency)), startOpts{env: token})
			second := shadowRound(t, r, mono, 0, n, delay) - n
			switch {
			// The bounds leave room for a loaded machine, where a copy may now and then wait
			// past the moment a noise call may be made: every copy used to ask again (n); after
			// its answer, a slow candidate's copies could only ask during the warm-up.
			case delay == 0 && second > n/2:
				t.Errorf("the monolith was asked again %d times for %d copies that answered alike: want about the warm-up's %d (+%d in flight)", second, n, warmup, concurrency)
			case delay > 0 && second < 2*warmup+2:
				t.Errorf("a slow candidate: the monolith was asked again %d times for %d copies: want a prompt noise call on most (noise: 1)", second, n)
			}
			if delay == 0 {
				return
			}
			// The candidate is fast again: the noise calls go back to following differences
			// only, of which there are none.
			cand.delay.Store(0)
			before := mono.hits.Load()
			again := shadowRound(t, r, mono, n, 2*n, 0) - before - n
			if again > n/2 {
				t.Errorf("the candidate fast again: the monolith was asked again %d times for %d copies alike, want about %d (the copies in flight when it sped up)", again, n, concurrency)
			}
		})
	}
}

// shadowRound sends GETs for items from to to, paced by pause, waits until all of them were
// compared without a difference, and returns the monolith's requests so far.
func shadowRound(t *testing.T, r *running, mono *itemsBackend, from, to int, delay time.Duration) int64 {
	t.Helper()
	c := feClient(frontEnds(t)[0])
	for i := from; i < to; i++ {
		if resp, _ := get(t, c, r.url+"/items?n="+fmt.Sprint(i), nil); resp.StatusCode != 200 {
			t.Fatalf("request %d: status %d", i, resp.StatusCode)
		}
		// Paced for a slow candidate, so that copies do not wait in the queue past the moment
		// a noise call may still be made.
		time.Sleep(delay * 12 / 10)
	}
	var rep DiffReport
	waitFor(t, "all comparisons", func() bool { rep, _ = r.p.Diff("items", 10); return rep.Compared == int64(to) })
	if rep.Differing != 0 || strings.Join(rep.Noise, ",") != "$.at" {
		t.Errorf("differing %d, noise %v: want 0 differences, the timestamp learned as noise", rep.Differing, rep.Noise)
	}
	return mono.hits.Load()
}

package strangler

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/carve-dev/carve/strangler/config"
)

// backend is a real HTTP server on loopback that says who it is and echoes what it received.
type backend struct {
	name string
	srv  *httptest.Server
	hits atomic.Int64
}

func newBackend(t *testing.T, name string) *backend {
	t.Helper()
	b := &backend{name: name}
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.hits.Add(1)
		w.Header().Set("X-Backend", name)
		if r.URL.Path == "/echo" {
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(map[string]any{"backend": name, "header": r.Header, "host": r.Host, "path": r.URL.Path})
			return
		}
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, name)
	}))
	t.Cleanup(b.srv.Close)
	return b
}

func (b *backend) URL() string { return b.srv.URL }

// running is a proxy serving on loopback listeners.
type running struct {
	p      *Proxy
	url    string // traffic base URL
	admin  string // admin base URL
	file   string
	cancel context.CancelFunc
	done   chan error
	logs   *syncBuffer
}

type syncBuffer struct {
	mu  chanMutex
	buf strings.Builder
}

type chanMutex chan struct{}

func (m chanMutex) Lock()   { m <- struct{}{} }
func (m chanMutex) Unlock() { <-m }

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

func writeConfig(t testing.TB, dir, yaml string) string {
	t.Helper()
	f := filepath.Join(dir, "strangler.yaml")
	if err := os.WriteFile(f, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

type startOpts struct {
	env   map[string]string
	store WeightStore
	watch bool
	tls   bool
	clock Clock // the rollout clock (default the system's)
}

// start parses yaml (listen and admin addresses are replaced by loopback listeners), runs the
// proxy and stops it when the test ends.
func start(t testing.TB, yaml string, so startOpts) *running {
	t.Helper()
	dir := t.TempDir()
	file := writeConfig(t, dir, yaml)
	cfg, err := config.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{mu: make(chanMutex, 1)}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	p, err := New(cfg, Options{Log: log, Getenv: func(k string) string { return so.env[k] }, Store: so.store, Clock: so.clock})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	aln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{p: p, file: file, cancel: cancel, done: make(chan error, 1), logs: logs}
	scheme := "http"
	if so.tls {
		scheme = "https"
	}
	r.url = scheme + "://" + ln.Addr().String()
	r.admin = "http://" + aln.Addr().String()
	started := make(chan struct{})
	go func() {
		r.done <- p.Run(ctx, RunOptions{ConfigFile: file, Watch: so.watch, Listener: ln, AdminListener: aln,
			Started: func(net.Addr, net.Addr) { close(started) }})
	}()
	select {
	case <-started:
	case err := <-r.done:
		t.Fatalf("proxy did not start: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-r.done; err != nil {
			t.Errorf("proxy run: %v", err)
		}
	})
	return r
}

func get(t *testing.T, c *http.Client, url string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// testConfig is a proxy config of the tests: both listeners on loopback, the admin API behind
// TOKEN, no access log, a monolith and an orders upstream, the given routes (YAML list items,
// each line indented as under routes:) and the monolith as the default.
func testConfig(monolith, orders, routes string) string {
	return fmt.Sprintf(`listen: "127.0.0.1:0"
admin: {listen: "127.0.0.1:0", token_env: TOKEN}
access_log: {sample: 0}
upstreams:
  monolith: {targets: [%q]}
  orders: {targets: [%q]}
routes:
%s
default: monolith
`, monolith, orders, strings.TrimSuffix(routes, "\n"))
}

func twoSided(monolith, orders string, extra string) string {
	return testConfig(monolith, orders, `  - name: orders
    match: {paths: ["/orders/"]}
    split: {orders: 25, monolith: 75}
    sticky: {header: X-User-ID}
`+extra)
}

var token = map[string]string{"TOKEN": "s3cret"}

// The raw client of the tests: requests written as bytes, responses read with net/http.

// dialAddr opens a raw connection to addr (over TLS offering HTTP/1.1 only when tlsOn) with a
// 10 s deadline.
func dialAddr(t testing.TB, addr string, tlsOn bool) net.Conn {
	t.Helper()
	var c net.Conn
	var err error
	if tlsOn {
		c, err = tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}})
	} else {
		c, err = net.Dial("tcp", addr)
	}
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return c
}

// addrOf is the host:port of a running proxy's traffic listener.
func (r *running) addrOf() string {
	return strings.TrimPrefix(strings.TrimPrefix(r.url, "https://"), "http://")
}

// dialRaw opens a raw connection to a running proxy (TLS with HTTP/1.1 for the TLS listener).
func dialRaw(t testing.TB, r *running) net.Conn {
	t.Helper()
	return dialAddr(t, r.addrOf(), strings.HasPrefix(r.url, "https://"))
}

// rawRequest writes raw on c and reads one response to a request of method (GET when empty),
// its body whole; err when no response came.
func rawRequest(c net.Conn, raw, method string) (*http.Response, string, error) {
	if _, err := io.WriteString(c, raw); err != nil {
		return nil, "", err
	}
	if method == "" {
		method = http.MethodGet
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: method})
	if err != nil {
		return nil, "", err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b), nil
}

// sendRaw sends raw on a new connection to the proxy and reads one response whole (a 101 has
// no body); the connection stays open for the caller (a tunnel) to use and close.
func sendRaw(t *testing.T, r *running, raw string) (*http.Response, string, net.Conn) {
	t.Helper()
	c := dialRaw(t, r)
	resp, body, err := rawRequest(c, raw, "")
	if err != nil {
		c.Close()
		t.Fatalf("%q: %v", raw, err)
	}
	return resp, body, c
}

package strangler

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/carve-dev/carve/strangler/config"
)

// BenchmarkProxy forwards GETs to a 1 KiB backend through the plain HTTP/1.1 front end
// (fasthttp, as `carve proxy run` serves without TLS and serves HTTP/1.1 with TLS), through
// the net/http handler over HTTP/1.1 without TLS (so the two servers compare) and over HTTP/2
// with TLS (the TLS listener's HTTP/2 front end):
// go test -bench Proxy -cpuprofile cpu.out -memprofile mem.out ./strangler/
// The figures include the in-process client and backend; bench/proxy.sh measures the proxy
// process alone.
func BenchmarkProxy(b *testing.B) {
	body := bytes.Repeat([]byte("a"), 1024)
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Length", "1024")
		w.Write(body)
	}))
	defer be.Close()
	cfg, err := config.Parse("bench.yaml", []byte(fmt.Sprintf(`listen: "127.0.0.1:0"
access_log: {sample: 0}
upstreams: {monolith: {targets: [%q]}, orders: {targets: [%q]}}
routes:
  - {name: orders, match: {paths: ["/orders/", "GET /api/orders/{id}"]}, split: {orders: 50, monolith: 50}, sticky: {header: X-User-ID}}
default: monolith
`, be.URL, be.URL)))
	if err != nil {
		b.Fatal(err)
	}
	p, err := New(cfg, Options{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	aln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, RunOptions{Listener: ln, AdminListener: aln}) }()
	defer func() { cancel(); <-done }()
	handler := httptest.NewServer(p)
	defer handler.Close()
	h2 := httptest.NewUnstartedServer(p) // the TLS listener's HTTP/2 front end
	h2.EnableHTTP2 = true
	h2.StartTLS()
	defer h2.Close()

	for _, fe := range []struct{ name, url string }{{"plain", "http://" + ln.Addr().String()}, {"handler", handler.URL}, {"h2", h2.URL}} {
		b.Run(fe.name, func(b *testing.B) {
			tr := &http.Transport{MaxIdleConnsPerHost: 64}
			if fe.name == "h2" {
				tr = h2.Client().Transport.(*http.Transport).Clone()
				tr.ForceAttemptHTTP2 = true
			}
			defer tr.CloseIdleConnections()
			c := &http.Client{Transport: tr}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				req, _ := http.NewRequest("GET", fe.url+"/api/orders/7", nil)
				req.Header.Set("X-User-ID", "user-1")
				for pb.Next() {
					resp, err := c.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
				}
			})
		})
	}
}

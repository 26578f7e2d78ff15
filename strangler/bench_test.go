package strangler

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/carve-dev/carve/strangler/config"
)

// BenchmarkProxy forwards GETs through the real handler and listener to a 1 KiB backend:
// go test -bench Proxy -cpuprofile cpu.out -memprofile mem.out ./strangler/
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
	defer p.Close()
	front := httptest.NewServer(p)
	defer front.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		req, _ := http.NewRequest("GET", front.URL+"/api/orders/7", nil)
		req.Header.Set("X-User-ID", "user-1")
		for pb.Next() {
			resp, err := c.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
}

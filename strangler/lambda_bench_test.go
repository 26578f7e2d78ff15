package strangler

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkProxyLambda forwards GETs through the plain front end to a 1 KiB HTTP backend and
// to a Lambda upstream whose Invoke API is a loopback server answering the same 1 KiB, side by
// side: the proxy's own cost of a Lambda request (event, SDK invoke, response) against an HTTP
// one. bench/proxy.sh measures it against the real emulator, process by process.
func BenchmarkProxyLambda(b *testing.B) {
	body := bytes.Repeat([]byte("a"), 1024)
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write(body)
	}))
	defer be.Close()
	payload, _ := json.Marshal(map[string]any{"statusCode": 200, "headers": map[string]string{"Content-Type": "text/plain"}, "body": string(body)})
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Write(payload)
	}))
	defer api.Close()
	b.Setenv("AWS_ACCESS_KEY_ID", "")
	r := start(b, fmt.Sprintf(`listen: "127.0.0.1:0"
access_log: {sample: 0}
upstreams:
  monolith: {targets: [%q]}
  orders: {lambda: {function: orders-fn, region: us-east-1, endpoint: %q}}
routes:
  - {name: orders, match: {paths: ["/fn/"]}, split: {orders: 1}}
default: monolith
`, be.URL, api.URL), startOpts{})
	for _, tc := range []struct{ name, path string }{{"http", "/api/orders/7"}, {"lambda", "/fn/orders/7"}} {
		b.Run(tc.name, func(b *testing.B) {
			tr := &http.Transport{MaxIdleConnsPerHost: 64}
			defer tr.CloseIdleConnections()
			c := &http.Client{Transport: tr}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					resp, err := c.Get(r.url + tc.path)
					if err != nil {
						b.Error(err)
						return
					}
					got, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 || !strings.HasPrefix(string(got), "aaaa") {
						b.Errorf("%s: %d %.80q", tc.path, resp.StatusCode, got)
						return
					}
				}
			})
		})
	}
}

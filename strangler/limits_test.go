package strangler

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// A route timeout answers 504 when the target is too slow; other routes are unaffected.
func TestRouteTimeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	mono := newBackend(t, "monolith")
	yaml := fmt.Sprintf(`listen: "127.0.0.1:0"
upstreams: {monolith: {targets: [%q]}, slow: {targets: [%q], passive: {failures: -1}}}
routes:
  - {name: slow, match: {paths: ["/slow/"]}, split: {slow: 1}, timeout: 50ms}
default: monolith
`, mono.URL(), slow.URL)
	r := start(t, yaml, startOpts{})
	resp, body := get(t, &http.Client{}, r.url+"/slow/x", nil)
	if resp.StatusCode != http.StatusGatewayTimeout || !strings.Contains(body, "timed out") {
		t.Errorf("slow route: %d %q, want 504", resp.StatusCode, body)
	}
	if _, body := get(t, &http.Client{}, r.url+"/x", nil); body != "monolith" {
		t.Errorf("default route after a timeout: %q", body)
	}
}

// A client that trickles its headers is cut off after read_header_timeout.
func TestSlowHeadersAreCut(t *testing.T) {
	mono := newBackend(t, "monolith")
	r := start(t, fmt.Sprintf("listen: \"127.0.0.1:0\"\nserver: {read_header_timeout: 100ms}\nupstreams: {monolith: {targets: [%q]}}\ndefault: monolith\n", mono.URL()), startOpts{})
	conn := dialRaw(t, r)
	defer conn.Close()
	io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
	conn.SetReadDeadline(time.Now().Add(10 * time.Second)) // bound; the server should close long before
	b, err := io.ReadAll(conn)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("the proxy kept a connection with unfinished headers open for 10 s")
	}
	if strings.Contains(string(b), "200 OK") {
		t.Errorf("an incomplete request was answered: %q", b)
	}
	if mono.hits.Load() != 0 {
		t.Error("an incomplete request reached the backend")
	}
}

func TestStickyQuery(t *testing.T) {
	mono, orders := newBackend(t, "monolith"), newBackend(t, "orders")
	r := start(t, strings.Replace(twoSided(mono.URL(), orders.URL(), ""), "sticky: {header: X-User-ID}", "sticky: {query: user}", 1), startOpts{env: token})
	seen := map[string]bool{}
	for i := range 60 {
		url := fmt.Sprintf("%s/orders/1?a=b&user=u%d&z=1", r.url, i)
		_, first := get(t, &http.Client{}, url, nil)
		_, again := get(t, &http.Client{}, url, nil)
		if first != again {
			t.Fatalf("user u%d moved from %s to %s", i, first, again)
		}
		seen[first] = true
	}
	if !seen["orders"] || !seen["monolith"] {
		t.Errorf("60 users all on one side: %v", seen)
	}
}

func TestCookieValue(t *testing.T) {
	for _, c := range []struct{ hdr, want string }{
		{"a=1; carve-orders=xyz; b=2", "xyz"},
		{"carve-orders=\"q\"", "q"},
		{"xcarve-orders=1", ""},
		{"carve-orders", ""},
		{"", ""},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Cookie", c.hdr)
		if got := cookieValue(r.Header["Cookie"], "carve-orders"); got != c.want {
			t.Errorf("%q: %q, want %q", c.hdr, got, c.want)
		}
	}
	if got := queryValue("a=1&user=u%207&b", "user"); got != "u%207" {
		t.Errorf("queryValue: %q", got)
	}
}

// response_header_timeout answers 504 for a target that sends nothing, but does not cut a
// response that has started and then pauses for longer (a stream of events) — on both front
// ends, also on a kept-alive connection whose header deadline the plain front end left in
// place after a quick response.
func TestResponseHeaderTimeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/silent" {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		if r.URL.Path == "/quick" {
			io.WriteString(w, "ok")
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		for i := range 3 {
			fmt.Fprintf(w, "data: %d\n\n", i)
			w.(http.Flusher).Flush()
			time.Sleep(300 * time.Millisecond) // three times the timeout
		}
	}))
	defer be.Close()
	for _, fe := range frontEnds(t) {
		t.Run(fe.name, func(t *testing.T) {
			r := start(t, fmt.Sprintf("listen: \"127.0.0.1:0\"\n%stransport: {response_header_timeout: 100ms}\nupstreams: {monolith: {targets: [%q], passive: {failures: -1}}}\ndefault: monolith\n",
				fe.tls, be.URL), startOpts{tls: fe.tls != ""})
			c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
			defer c.CloseIdleConnections()
			resp, body := get(t, c, r.url+"/silent", nil)
			if resp.StatusCode != http.StatusGatewayTimeout {
				t.Errorf("silent target: %d %q, want 504", resp.StatusCode, body)
			}
			if resp, body = get(t, c, r.url+"/quick", nil); resp.StatusCode != 200 {
				t.Errorf("quick: %d %q, want 200", resp.StatusCode, body)
			}
			resp, body = get(t, c, r.url+"/events", nil)
			if resp.StatusCode != 200 || strings.Count(body, "data: ") != 3 {
				t.Errorf("paused stream: %d %q, want all three events", resp.StatusCode, body)
			}
			// And a kept-alive connection whose deadline was left in place still cuts a
			// silent target.
			get(t, c, r.url+"/quick", nil)
			if resp, body = get(t, c, r.url+"/silent", nil); resp.StatusCode != http.StatusGatewayTimeout {
				t.Errorf("silent target after a quick response: %d %q, want 504", resp.StatusCode, body)
			}
		})
	}
}

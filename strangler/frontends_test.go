package strangler

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The plain HTTP/1.1 front end (fasthttp) and the HTTP/2 one (net/http, behind the TLS
// listener) must behave the same: this runs the behaviours that each implements on its own —
// routing and sticky splitting, forwarding headers and hop-by-hop stripping, streaming, body
// limits, the sticky cookie — against the plain listener and the TLS one over HTTP/1.1 (which
// is the plain front end behind TLS) and over HTTP/2.
func TestFrontEndsAgree(t *testing.T) {
	mono, orders := newBackend(t, "monolith"), newBackend(t, "orders")
	events := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := range 3 {
			fmt.Fprintf(w, "data: %d\n\n", i)
			w.(http.Flusher).Flush()
			time.Sleep(10 * time.Millisecond)
		}
	}))
	defer events.Close()
	for _, fe := range withH2(t) {
		t.Run(fe.name, func(t *testing.T) {
			yaml := fmt.Sprintf(`listen: "127.0.0.1:0"
%saccess_log: {sample: 0}
server: {max_body_bytes: 1000}
upstreams:
  monolith: {targets: [%q]}
  orders: {targets: [%q]}
  events: {targets: [%q]}
routes:
  - {name: orders, match: {paths: ["/orders/"]}, split: {orders: 50, monolith: 50}, sticky: {header: X-User-ID}}
  - {name: carts, match: {paths: ["/carts/"]}, split: {orders: 50, monolith: 50}, sticky: {cookie: carve-carts}}
  - {name: beta, match: {paths: ["/beta/"], headers: {X-Beta: "1"}}, split: {orders: 1}}
  - {name: events, match: {paths: ["GET /events"]}, split: {events: 1}}
default: monolith
`, fe.tls, mono.URL(), orders.URL(), events.URL)
			r := start(t, yaml, startOpts{tls: fe.tls != ""})
			tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, DisableCompression: true, ForceAttemptHTTP2: fe.h2}
			defer tr.CloseIdleConnections()
			c := &http.Client{Transport: tr}
			if resp, _ := get(t, c, r.url+"/x", nil); (resp.ProtoMajor == 2) != fe.h2 {
				t.Fatalf("served over %s", resp.Proto)
			}

			// Sticky by header: each user stays on one side, and both sides get users.
			seen := map[string]int{}
			for i := range 40 {
				hdr := map[string]string{"X-User-ID": fmt.Sprintf("user-%d", i)}
				_, first := get(t, c, r.url+"/orders/1", hdr)
				_, again := get(t, c, r.url+"/orders/2", hdr)
				if first != again {
					t.Fatalf("user-%d moved from %s to %s", i, first, again)
				}
				seen[first]++
			}
			if seen["orders"] == 0 || seen["monolith"] == 0 {
				t.Errorf("40 users all on one side: %v", seen)
			}
			// A header route matches only with its header.
			if _, b := get(t, c, r.url+"/beta/x", map[string]string{"X-Beta": "1"}); b != "orders" {
				t.Errorf("beta route with X-Beta: %q", b)
			}
			if _, b := get(t, c, r.url+"/beta/x", nil); b != "monolith" {
				t.Errorf("beta route without X-Beta: %q", b)
			}
			// The sticky cookie is set once and then keeps the client on its side.
			resp, first := get(t, c, r.url+"/carts/1", nil)
			var cookie *http.Cookie
			for _, ck := range resp.Cookies() {
				if ck.Name == "carve-carts" {
					cookie = ck
				}
			}
			if cookie == nil || !cookie.HttpOnly || cookie.Path != "/" {
				t.Fatalf("sticky cookie not set as expected: %v", resp.Header["Set-Cookie"])
			}
			for range 10 {
				if _, b := get(t, c, r.url+"/carts/1", map[string]string{"Cookie": "carve-carts=" + cookie.Value}); b != first {
					t.Fatalf("cookie %s moved from %s to %s", cookie.Value, first, b)
				}
			}

			checkForwarding(t, c, r, fe)
			checkEvents(t, c, r)
			checkBodyLimits(t, c, r)
		})
	}
}

// checkForwarding: the forwarding headers are the peer's only, inbound ones from an
// untrusted peer dropped, and Connection cannot remove the proxy's own.
func checkForwarding(t *testing.T, c *http.Client, r *running, fe frontEnd) {
	hdr := map[string]string{"X-Forwarded-For": "6.6.6.6", "Forwarded": "for=6.6.6.6",
		"Connection": "X-Forwarded-For, X-Custom", "X-Custom": "hop", "X-Kept": "yes"}
	if fe.h2 { // HTTP/2 has no Connection header (Go's client refuses to send one)
		delete(hdr, "Connection")
		delete(hdr, "X-Custom")
	}
	e := echoWith(t, c, r.url, hdr)
	if got := e.Header["X-Forwarded-For"]; len(got) != 1 || got[0] != "127.0.0.1" {
		t.Errorf("X-Forwarded-For = %q, want only the peer", got)
	}
	wantProto := map[bool]string{false: "http", true: "https"}[fe.tls != ""]
	if got := e.Header["X-Forwarded-Proto"]; len(got) != 1 || got[0] != wantProto {
		t.Errorf("X-Forwarded-Proto = %q, want %s", got, wantProto)
	}
	for _, h := range []string{"Forwarded", "X-Custom", "Connection", "Keep-Alive"} {
		if _, ok := e.Header[h]; ok {
			t.Errorf("%s forwarded", h)
		}
	}
	if e.Header["X-Kept"][0] != "yes" || !strings.HasPrefix(e.Host, "127.0.0.1:") {
		t.Errorf("end-to-end header or Host lost: %v %q", e.Header, e.Host)
	}
}

// checkEvents: server-sent events stream through.
func checkEvents(t *testing.T, c *http.Client, r *running) {
	resp, err := c.Get(r.url + "/events")
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(resp.Body)
	for i := range 3 {
		line, err := br.ReadString('\n')
		if err != nil || line != fmt.Sprintf("data: %d\n", i) {
			t.Fatalf("event %d: %q %v", i, line, err)
		}
		br.ReadString('\n')
	}
	resp.Body.Close()
}

// checkBodyLimits: bodies are limited by Content-Length before forwarding, and while
// streaming a body of unknown length.
func checkBodyLimits(t *testing.T, c *http.Client, r *running) {
	for _, body := range []io.Reader{strings.NewReader(strings.Repeat("a", 2000)), io.MultiReader(strings.NewReader(strings.Repeat("a", 2000)))} {
		resp, err := c.Post(r.url+"/x", "text/plain", body)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("2000-byte body over a 1000 limit: %d, want 413", resp.StatusCode)
		}
	}
	resp, err := c.Post(r.url+"/x", "text/plain", io.MultiReader(strings.NewReader("small body")))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "monolith" {
		t.Errorf("small chunked body: %d %q", resp.StatusCode, b)
	}
}

// frontEnd is a kind of traffic listener: plain HTTP/1.1 or TLS (HTTP/1.1 served by the same
// fasthttp front end, HTTP/2 by net/http); tls is the config line that makes it, empty for
// plain; h2 makes a test's client speak HTTP/2 where it can.
type frontEnd struct {
	name, tls string
	h2        bool
}

// withH2 is frontEnds and the TLS listener spoken to over HTTP/2 (net/http's front end).
func withH2(t *testing.T) []frontEnd {
	fes := frontEnds(t)
	return append(fes, frontEnd{name: "tls-h2", tls: fes[1].tls, h2: true})
}

// frontEnds are both kinds, the TLS one with a fresh self-signed certificate.
func frontEnds(t *testing.T) []frontEnd {
	certFile, keyFile := selfSigned(t)
	return []frontEnd{{name: "plain"}, {name: "tls", tls: fmt.Sprintf("tls: {cert_file: %q, key_file: %q}\n", certFile, keyFile)}}
}

func echoWith(t *testing.T, c *http.Client, url string, hdr map[string]string) echoed {
	t.Helper()
	e := echoed{}
	_, body := get(t, c, url+"/echo", hdr)
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("echo body %q: %v", body, err)
	}
	return e
}

// Header names are case-insensitive: a client writing them in lower case (as HTTP/2 does, and
// as a raw HTTP/1.1 client may) must not get a spoofed X-Forwarded-For or a hop-by-hop header
// past the plain front end.
func TestRawHeaderCase(t *testing.T) {
	mono := newBackend(t, "monolith")
	r := start(t, fmt.Sprintf("listen: \"127.0.0.1:0\"\nupstreams: {monolith: {targets: [%q]}}\ndefault: monolith\n", mono.URL()), startOpts{})
	_, body, conn := sendRaw(t, r, "GET /echo HTTP/1.1\r\nhost: shop.example.com\r\nx-forwarded-for: 6.6.6.6\r\nx-FORWARDED-proto: https\r\n"+
		"connection: x-secret\r\nx-secret: hop\r\nkeep-alive: timeout=5\r\nproxy-authorization: Basic Zm9v\r\n\r\n")
	conn.Close()
	var e echoed
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatal(err)
	}
	if got := e.Header["X-Forwarded-For"]; len(got) != 1 || got[0] != "127.0.0.1" {
		t.Errorf("X-Forwarded-For = %q, want only the peer", got)
	}
	if got := e.Header["X-Forwarded-Proto"]; len(got) != 1 || got[0] != "http" {
		t.Errorf("X-Forwarded-Proto = %q, want http", got)
	}
	for _, h := range []string{"X-Secret", "Keep-Alive", "Proxy-Authorization"} {
		if _, ok := e.Header[h]; ok {
			t.Errorf("hop-by-hop %s forwarded", h)
		}
	}
	if e.Host != "shop.example.com" || e.Header["X-Forwarded-Host"][0] != "shop.example.com" {
		t.Errorf("Host %q, X-Forwarded-Host %q", e.Host, e.Header["X-Forwarded-Host"])
	}
}

// A request the plain front end cannot parse gets 400 without its bytes echoed back, reaches no
// target, and the proxy keeps serving.
func TestMalformedRequest(t *testing.T) {
	mono := newBackend(t, "monolith")
	r := start(t, fmt.Sprintf("listen: \"127.0.0.1:0\"\nupstreams: {monolith: {targets: [%q]}}\ndefault: monolith\n", mono.URL()), startOpts{})
	for _, raw := range []string{
		"GET / HTTP/1.1\r\nHost: x\r\nBad Header <script>\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
	} {
		conn := dialRaw(t, r)
		io.WriteString(conn, raw)
		b, _ := io.ReadAll(conn)
		conn.Close()
		if !strings.HasPrefix(string(b), "HTTP/1.1 400 ") || strings.Contains(string(b), "<script>") {
			t.Errorf("%q answered %q, want a 400 that does not quote the request", raw, b)
		}
	}
	if mono.hits.Load() != 0 {
		t.Error("a malformed request reached the target")
	}
	if _, body := get(t, &http.Client{}, r.url+"/x", nil); body != "monolith" {
		t.Errorf("after malformed requests: %q", body)
	}
}

// A target's response headers past the plain front end's 16 KiB get a 502 that says so.
func TestUpstreamHeadersTooLarge(t *testing.T) {
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big" {
			w.Header().Set("X-Big", strings.Repeat("b", 20000))
		}
		io.WriteString(w, "ok")
	}))
	defer be.Close()
	r := start(t, fmt.Sprintf("listen: \"127.0.0.1:0\"\nupstreams: {monolith: {targets: [%q], passive: {failures: -1}}}\ndefault: monolith\n", be.URL), startOpts{})
	if resp, body := get(t, &http.Client{}, r.url+"/big", nil); resp.StatusCode != http.StatusBadGateway || !strings.Contains(body, "headers too large") {
		t.Errorf("20 kB of response headers: %d %q, want 502 naming the headers", resp.StatusCode, body)
	}
	if resp, body := get(t, &http.Client{}, r.url+"/small", nil); resp.StatusCode != 200 || body != "ok" {
		t.Errorf("after it: %d %q", resp.StatusCode, body)
	}
}

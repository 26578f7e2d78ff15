package strangler

import (
	"bufio"
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

type echoed struct {
	Backend string              `json:"backend"`
	Header  map[string][]string `json:"header"`
	Host    string              `json:"host"`
}

func echo(t *testing.T, url string, hdr map[string]string) echoed {
	t.Helper()
	// A client that sends no Accept-Encoding of its own, so the test sees what the proxy adds.
	c := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	defer c.CloseIdleConnections()
	return echoWith(t, c, url, hdr)
}

func TestForwardedHeaders(t *testing.T) {
	mono := newBackend(t, "monolith")
	base := fmt.Sprintf("listen: \"127.0.0.1:0\"\nupstreams: {monolith: {targets: [%q]}}\ndefault: monolith\n", mono.URL())

	t.Run("untrusted peer cannot spoof", func(t *testing.T) {
		r := start(t, base, startOpts{})
		e := echo(t, r.url, map[string]string{"X-Forwarded-For": "6.6.6.6", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https", "Forwarded": "for=6.6.6.6"})
		if got := e.Header["X-Forwarded-For"]; len(got) != 1 || got[0] != "127.0.0.1" {
			t.Errorf("X-Forwarded-For upstream = %q, want only the peer 127.0.0.1", got)
		}
		if got := e.Header["X-Forwarded-Proto"]; len(got) != 1 || got[0] != "http" {
			t.Errorf("X-Forwarded-Proto = %q", got)
		}
		if got := e.Header["X-Forwarded-Host"]; len(got) != 1 || !strings.HasPrefix(got[0], "127.0.0.1:") {
			t.Errorf("X-Forwarded-Host = %q, want the request's Host", got)
		}
		if _, ok := e.Header["Accept-Encoding"]; ok {
			t.Error("the proxy added an Accept-Encoding the client did not send")
		}
		if _, ok := e.Header["Forwarded"]; ok {
			t.Error("inbound Forwarded header passed on from an untrusted peer")
		}
		if !strings.HasPrefix(e.Host, "127.0.0.1:") || e.Host == strings.TrimPrefix(mono.URL(), "http://") {
			t.Errorf("Host upstream = %q, want the client's Host preserved", e.Host)
		}
	})
	t.Run("trusted peer is appended to", func(t *testing.T) {
		r := start(t, base+"trusted_proxies: [127.0.0.1/32]\n", startOpts{})
		e := echo(t, r.url, map[string]string{"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "shop.example.com"})
		if got := e.Header["X-Forwarded-For"]; len(got) != 1 || got[0] != "203.0.113.7, 127.0.0.1" {
			t.Errorf("X-Forwarded-For = %q, want the chain with the peer appended", got)
		}
		if got := e.Header["X-Forwarded-Proto"]; got[0] != "https" || e.Header["X-Forwarded-Host"][0] != "shop.example.com" {
			t.Errorf("trusted proto/host not kept: %v", e.Header)
		}
	})
	t.Run("Connection cannot strip the proxy's headers", func(t *testing.T) {
		r := start(t, base+"trusted_proxies: [127.0.0.1/32]\n", startOpts{})
		e := echo(t, r.url, map[string]string{
			"Connection":      "X-Forwarded-For, X-Forwarded-Proto, X-Custom, Keep-Alive",
			"X-Forwarded-For": "6.6.6.6", "X-Custom": "hop", "X-Kept": "end-to-end",
		})
		if got := e.Header["X-Forwarded-For"]; len(got) != 1 || got[0] != "127.0.0.1" {
			t.Errorf("X-Forwarded-For = %q: the proxy's own value must survive and the hop-by-hop inbound one must not", got)
		}
		if got := e.Header["X-Forwarded-Proto"]; len(got) != 1 || got[0] != "http" {
			t.Errorf("X-Forwarded-Proto = %q", got)
		}
		if _, ok := e.Header["X-Custom"]; ok {
			t.Error("header named in Connection was forwarded")
		}
		if e.Header["X-Kept"][0] != "end-to-end" {
			t.Error("end-to-end header lost")
		}
		for _, h := range []string{"Keep-Alive", "Proxy-Authorization", "Te", "Trailer", "Upgrade"} {
			if _, ok := e.Header[h]; ok {
				t.Errorf("hop-by-hop %s forwarded", h)
			}
		}
	})
}

// The backend sends one event and waits for the client to have it before it sends the second:
// the test finishes only if the proxy streams instead of buffering.
func TestServerSentEvents(t *testing.T) {
	got := make(chan struct{})
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: one\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-got:
		case <-r.Context().Done():
			return
		case <-time.After(10 * time.Second):
			return
		}
		io.WriteString(w, "data: two\n\n")
	}))
	defer be.Close()
	r := start(t, fmt.Sprintf("listen: \"127.0.0.1:0\"\nupstreams: {monolith: {targets: [%q]}}\ndefault: monolith\n", be.URL), startOpts{})
	resp, err := http.Get(r.url + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	line, err := br.ReadString('\n')
	if err != nil || line != "data: one\n" {
		t.Fatalf("first event: %q %v", line, err)
	}
	close(got)
	rest, _ := io.ReadAll(br)
	if !strings.Contains(string(rest), "data: two") {
		t.Errorf("second event missing: %q", rest)
	}
}

// A minimal WebSocket-style upgrade: the backend hijacks and echoes bytes; the client speaks
// on the raw connection through the proxy.
func TestUpgradeThroughProxy(t *testing.T) {
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") || !strings.Contains(strings.ToLower(r.Header.Get("Connection")), "upgrade") {
			http.Error(w, "upgrade required", http.StatusUpgradeRequired)
			return
		}
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		brw.Flush()
		buf := make([]byte, 5)
		for {
			if _, err := io.ReadFull(brw, buf); err != nil {
				return
			}
			conn.Write([]byte(strings.ToUpper(string(buf))))
		}
	}))
	defer be.Close()
	r := start(t, fmt.Sprintf("listen: \"127.0.0.1:0\"\nupstreams: {monolith: {targets: [%q]}}\ndefault: monolith\n", be.URL), startOpts{})
	conn := dialRaw(t, r)
	defer conn.Close()
	fmt.Fprintf(conn, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d, want 101", resp.StatusCode)
	}
	for _, msg := range []string{"hello", "again"} {
		conn.Write([]byte(msg))
		buf := make([]byte, 5)
		if _, err := io.ReadFull(br, buf); err != nil || string(buf) != strings.ToUpper(msg) {
			t.Fatalf("echo of %q: %q %v", msg, buf, err)
		}
	}
	// Shutting down ends the tunnel once the drain is over (Shutdown itself ignores
	// hijacked connections).
	r.cancel()
	if n, err := br.Read(make([]byte, 1)); err == nil {
		t.Fatalf("tunnel still open after shutdown (read %d bytes)", n)
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("tunnel still open 10 s after shutdown")
	}
}

func TestTLSWithHTTP2(t *testing.T) {
	mono := newBackend(t, "monolith")
	certFile, keyFile := selfSigned(t)
	yaml := fmt.Sprintf("listen: \"127.0.0.1:0\"\ntls: {cert_file: %q, key_file: %q}\nupstreams: {monolith: {targets: [%q]}}\ndefault: monolith\n", certFile, keyFile, mono.URL())
	r := start(t, yaml, startOpts{tls: true})
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, ForceAttemptHTTP2: true}
	defer tr.CloseIdleConnections()
	resp, body := get(t, &http.Client{Transport: tr}, r.url+"/x", nil)
	if resp.ProtoMajor != 2 || body != "monolith" {
		t.Errorf("over TLS: %s %q, want HTTP/2 and the monolith", resp.Proto, body)
	}
	_, body = get(t, &http.Client{Transport: tr}, r.url+"/echo", nil)
	if !strings.Contains(body, `"X-Forwarded-Proto":["https"]`) {
		t.Errorf("upstream did not learn the client used https: %s", body)
	}
}

func TestBufferPoolAllocatesNothing(t *testing.T) {
	bp := newBufferPool()
	bp.Put(bp.Get())
	if n := testing.AllocsPerRun(100, func() { bp.Put(bp.Get()) }); n != 0 {
		t.Errorf("Get+Put allocates %v times", n)
	}
	if b := bp.Get(); len(b) != 32<<10 {
		t.Errorf("buffer of %d bytes, want 32 KiB", len(b))
	}
}

// gRPC goes to its target over HTTP/2 with its trailers relayed: the TLS listener sends it
// through net/http's transport (the fasthttp client that carries other requests speaks
// HTTP/1.1 and relays no trailers), keeping TE: trailers.
func TestGRPCKeepsHTTP2AndTrailers(t *testing.T) {
	be := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/grpc")
		w.Header().Set("Trailer", "Grpc-Status")
		fmt.Fprintf(w, "proto=%d te=%s", r.ProtoMajor, r.Header.Get("Te"))
		w.Header().Set("Grpc-Status", "0")
	}))
	be.EnableHTTP2 = true
	be.StartTLS()
	defer be.Close()
	certFile, keyFile := selfSigned(t)
	r := start(t, fmt.Sprintf("listen: \"127.0.0.1:0\"\ntls: {cert_file: %q, key_file: %q}\nupstreams: {svc: {targets: [%q]}}\ndefault: svc\n",
		certFile, keyFile, be.URL), startOpts{tls: true})
	// Trust the target's test certificate (no request has used the transport yet).
	r.p.transport.TLSClientConfig = be.Client().Transport.(*http.Transport).TLSClientConfig.Clone()

	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, ForceAttemptHTTP2: true}
	defer tr.CloseIdleConnections()
	req, _ := http.NewRequest("POST", r.url+"/pkg.Orders/Get", strings.NewReader("\x00\x00\x00\x00\x00"))
	req.Header.Set("Content-Type", "application/grpc")
	req.Header.Set("Te", "trailers")
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.ProtoMajor != 2 || string(body) != "proto=2 te=trailers" {
		t.Errorf("%s %q, want HTTP/2 to the client and to the target, with TE: trailers", resp.Proto, body)
	}
	if got := resp.Trailer.Get("Grpc-Status"); got != "0" {
		t.Errorf("trailer Grpc-Status %q, want 0 (trailers: %v)", got, resp.Trailer)
	}
}

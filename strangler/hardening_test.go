package strangler

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Without a token the admin API answers only requests addressed to its loopback address (a
// DNS name rebound to 127.0.0.1 cannot set weights) and serves no profiles.
func TestAdminWithoutTokenChecksHost(t *testing.T) {
	mono, orders := newBackend(t, "monolith"), newBackend(t, "orders")
	yaml := strings.Replace(twoSided(mono.URL(), orders.URL(), ""), `admin: {listen: "127.0.0.1:0", token_env: TOKEN}`, `admin: {listen: "127.0.0.1:0"}`, 1)
	r := start(t, yaml, startOpts{})
	port := r.admin[strings.LastIndex(r.admin, ":")+1:]
	for host, want := range map[string]int{
		"attacker.example:" + port: http.StatusMisdirectedRequest,
		"127.0.0.1:" + port:        http.StatusOK,
		"localhost:" + port:        http.StatusOK,
		"127.0.0.1:1":              http.StatusMisdirectedRequest,
	} {
		req, _ := http.NewRequest("PUT", r.admin+"/routes/orders/weights", strings.NewReader(`{"weights":{"orders":100,"monolith":0}}`))
		req.Host = host
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("PUT weights with Host %s: %d, want %d", host, resp.StatusCode, want)
		}
	}
	resp, err := http.Get(r.admin + "/debug/pprof/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("/debug/pprof/ without a token: %d, want 404", resp.StatusCode)
	}
}

// The sticky cookie is Secure when the client came over TLS — on the plain listener, as a
// trusted proxy in front says with X-Forwarded-Proto — and never because an untrusted client
// says so; it is always HttpOnly and SameSite=Lax.
func TestStickyCookieSecure(t *testing.T) {
	mono, orders := newBackend(t, "monolith"), newBackend(t, "orders")
	for _, tc := range []struct {
		trusted, proto string
		secure         bool
	}{
		{"[127.0.0.1]", "https", true},
		{"[127.0.0.1]", "http", false},
		{"[]", "https", false},
	} {
		yaml := strings.Replace(twoSided(mono.URL(), orders.URL(), ""), "sticky: {header: X-User-ID}", "sticky: {cookie: carve-s}", 1) +
			"trusted_proxies: " + tc.trusted + "\n"
		r := start(t, yaml, startOpts{env: token})
		resp, _ := get(t, &http.Client{}, r.url+"/orders/1", map[string]string{"X-Forwarded-Proto": tc.proto})
		c := resp.Header.Get("Set-Cookie")
		if !strings.Contains(c, "HttpOnly") || !strings.Contains(c, "SameSite=Lax") || strings.Contains(c, "Secure") != tc.secure {
			t.Errorf("trusted %s, X-Forwarded-Proto %s: Set-Cookie %q, want Secure=%v, HttpOnly, SameSite=Lax", tc.trusted, tc.proto, c, tc.secure)
		}
	}
}

// Credentials never reach the logs: a malformed request carrying Authorization and Cookie is
// refused, and no log line holds their values.
func TestLogsHoldNoCredentials(t *testing.T) {
	mono := newBackend(t, "monolith")
	r := start(t, fmt.Sprintf("listen: \"127.0.0.1:0\"\nupstreams: {monolith: {targets: [%q]}}\ndefault: monolith\n", mono.URL()), startOpts{})
	for _, raw := range []string{
		"GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer SECRET-A\r\nCookie: session=SECRET-C\r\nBad Header <x>\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer SECRET-A\r\nCookie: session=SECRET-C\r\nContent-Length: x\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nProxy-Authorization: Basic SECRET-P\r\nTransfer-Encoding: gzip\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer SECRET-A\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
	} {
		c, err := net.Dial("tcp", strings.TrimPrefix(r.url, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(c, raw)
		if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err == nil {
			resp.Body.Close()
		}
		c.Close()
	}
	// The proxy has answered every request; its lines are written before the answers.
	if logs := r.logs.String(); strings.Contains(logs, "SECRET") {
		t.Errorf("credentials in the logs:\n%s", logs)
	}
}

func TestRedactCredentials(t *testing.T) {
	in := "error when reading request headers: \"GET / HTTP/1.1\\r\\nAuthorization: Bearer SECRET-A\\r\\ncookie: s=SECRET-C\\r\\nProxy-Authorization:Basic SECRET-P\\r\\nSet-Cookie: x=SECRET-S\\r\\nX-A: kept\""
	out := redactCredentials(in)
	if strings.Contains(out, "SECRET") || !strings.Contains(out, "X-A: kept") || !strings.Contains(out, "Authorization: [redacted]") {
		t.Errorf("redacted: %s", out)
	}
}

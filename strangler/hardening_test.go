package strangler

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
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
		c := dialRaw(t, r)
		rawRequest(c, raw, "")
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

// Upgrade tunnels are bounded: only a real upgrade (Connection naming it and an Upgrade
// header) takes the tunnel; the handshake waits at most response_header_timeout; a refusal's
// body is bounded; and open tunnels count against max_conns_per_host.
// Long on purpose: one scenario told in order, each step needing the state the one before left.
func TestUpgradeTunnelBounds(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hold := make(chan struct{})
	var conns []net.Conn
	var mu chanMutex = make(chanMutex, 1)
	defer func() {
		close(hold)
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	}()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go func() {
				br := bufio.NewReader(c)
				req, err := http.ReadRequest(br)
				if err != nil {
					return
				}
				body, _ := io.ReadAll(req.Body)
				switch req.URL.Path {
				case "/silent": // never answers
					<-hold
				case "/refuse": // refuses with a body past the bound
					fmt.Fprintf(c, "HTTP/1.1 400 Bad Request\r\nContent-Length: %d\r\n\r\n", 2<<20)
					c.Write(make([]byte, 2<<20))
				case "/ws":
					io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
					<-hold

				default:
					fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s|%s|%s", len(body)+len(req.Header.Get("Upgrade"))+2+len(req.URL.Path),
						req.URL.Path, req.Header.Get("Upgrade"), body)
				}
			}()
		}
	}()
	r := start(t, fmt.Sprintf("listen: \"127.0.0.1:0\"\ntransport: {response_header_timeout: 300ms, max_conns_per_host: 2, dial_timeout: 300ms}\n"+
		"upstreams: {monolith: {targets: [\"http://%s\"], passive: {failures: -1}}}\ndefault: monolith\n", ln.Addr()), startOpts{})
	send := func(raw string) (*http.Response, string, net.Conn) { return sendRaw(t, r, raw) }
	// Connection: Upgrade alone is an ordinary request, body and all.
	resp, body, c := send("POST /plain HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nContent-Length: 4\r\n\r\nbody")
	c.Close()
	if resp.StatusCode != 200 || body != "/plain||body" {
		t.Errorf("Connection: Upgrade without Upgrade: %d %q, want the request forwarded as usual", resp.StatusCode, body)
	}
	// A target that never answers the handshake: 504 once response_header_timeout passes.
	resp, _, c = send("GET /silent HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
	c.Close()
	if resp.StatusCode != http.StatusGatewayTimeout {
		t.Errorf("unanswered handshake: %d, want 504", resp.StatusCode)
	}
	// A refusal with a body past the bound is not relayed whole.
	resp, _, c = send("GET /refuse HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
	c.Close()
	if resp.StatusCode != http.StatusBadGateway {
		t.Errorf("refusal with a 2 MiB body: %d, want 502", resp.StatusCode)
	}
	// Two tunnels fill max_conns_per_host; the third is refused.
	for i := range 3 {
		resp, _, c := send("GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
		defer c.Close()
		want := http.StatusSwitchingProtocols
		if i == 2 {
			want = http.StatusServiceUnavailable
		}
		if resp.StatusCode != want {
			t.Errorf("tunnel %d: %d, want %d", i+1, resp.StatusCode, want)
		}
	}
}

// server.path_policy decides alike on both listeners what an ambiguous path routes to and
// what the target gets: reject answers 400, normalize routes on and forwards the cleaned
// path, raw routes on the decoded path and forwards what the client sent.
func TestPathPolicy(t *testing.T) {
	target := newRawTarget(t, nil) // answers with the path it got
	for _, fe := range frontEnds(t) {
		for _, tc := range []struct {
			policy, status, body string
		}{
			{"reject", "400", ""},
			{"normalize", "200", "default:/orders/x"},
			{"raw", "200", "admin:/admin/..%2forders/x"},
		} {
			t.Run(fe.name+"/"+tc.policy, func(t *testing.T) {
				r := start(t, fmt.Sprintf(`listen: "127.0.0.1:0"
%sserver: {path_policy: %s}
upstreams:
  admin: {targets: ["%s/"], host_header: admin}
  orders: {targets: ["%s/"], host_header: default}
routes:
  - {name: admin, match: {paths: ["/admin/"]}, split: {admin: 1}}
default: orders
`, fe.tls, tc.policy, target.URL(), target.URL()), startOpts{tls: fe.tls != ""})
				resp, b, c := sendRaw(t, r, "GET /admin/..%2forders/x HTTP/1.1\r\nHost: a\r\n\r\n")
				defer c.Close()
				got := target.take()
				if fmt.Sprint(resp.StatusCode) != tc.status {
					t.Fatalf("%d %q, want %s", resp.StatusCode, b, tc.status)
				}
				if tc.body != "" {
					host, path, _ := strings.Cut(tc.body, ":")
					if len(got) != 1 || !strings.HasPrefix(got[0], "GET "+path+" HTTP/1.1\r\n") || !strings.Contains(got[0], "\r\nHost: "+host+"\r\n") {
						t.Errorf("the target got %q, want GET %s on the %s route", got, path, host)
					}
				}
			})
		}
	}
}

// A tunnel to a target that speaks first relays its bytes and outlives the handshake's
// deadline (response_header_timeout), on both listeners. On the plain listener the tunnel's
// connection comes from the pool, where the header deadline is left in place between requests
// and the connection is checked for waiting bytes before reuse: neither may cut the tunnel.
func TestTunnelOutlivesHandshakeDeadline(t *testing.T) {
	ln := serveConns(t, func(c net.Conn) {
		defer c.Close()
		br := bufio.NewReader(c)
		if _, err := http.ReadRequest(br); err != nil {
			return
		}
		io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		io.WriteString(c, "hello")
		io.Copy(c, br) // echo until the proxy closes the tunnel
	})
	for _, fe := range frontEnds(t) {
		t.Run(fe.name, func(t *testing.T) {
			r := start(t, fmt.Sprintf("listen: \"127.0.0.1:0\"\n%stransport: {response_header_timeout: 200ms}\nupstreams: {monolith: {targets: [\"http://%s\"]}}\ndefault: monolith\n",
				fe.tls, ln.Addr()), startOpts{tls: fe.tls != ""})
			c := dialRaw(t, r)
			defer c.Close()
			io.WriteString(c, "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
			br := bufio.NewReader(c)
			resp, err := http.ReadResponse(br, nil)
			if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
				t.Fatalf("tunnel: %v %v", resp, err)
			}
			got := make([]byte, 5)
			if _, err := io.ReadFull(br, got); err != nil || string(got) != "hello" {
				t.Fatalf("the target's first bytes: %q %v", got, err)
			}
			time.Sleep(500 * time.Millisecond) // past response_header_timeout and the eighth over it
			io.WriteString(c, "ping")
			if _, err := io.ReadFull(br, got[:4]); err != nil || string(got[:4]) != "ping" {
				t.Errorf("echo after the handshake's deadline: %q %v", got[:4], err)
			}
		})
	}
}

// transport.max_conns_per_host is one cap on both listeners (HTTP/1.1): an open tunnel holds
// one of the target's connections, so with a cap of 1 a request waits dial_timeout, then gets
// 503, and so does a second tunnel. The cap is the proxy's, not the target's fault: with
// passive.failures 1, one strike would eject the target, and it keeps serving.
func TestConnectionCapIsOneLimit(t *testing.T) {
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ws" {
			io.WriteString(w, "ok")
			return
		}
		c, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer c.Close()
		io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		io.Copy(io.Discard, c) // until the proxy closes the tunnel
	}))
	defer be.Close()
	for _, fe := range frontEnds(t) {
		t.Run(fe.name, func(t *testing.T) {
			r := start(t, fmt.Sprintf("listen: \"127.0.0.1:0\"\n%stransport: {max_conns_per_host: 1, dial_timeout: 200ms}\n"+
				"upstreams: {monolith: {targets: [%q], passive: {failures: 1, eject: 1m}}}\ndefault: monolith\n", fe.tls, be.URL), startOpts{tls: fe.tls != ""})
			exchange := func(raw string) (int, net.Conn) {
				resp, _, c := sendRaw(t, r, raw)
				return resp.StatusCode, c
			}
			const upgrade = "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
			const plain = "GET /x HTTP/1.1\r\nHost: a\r\n\r\n"
			status, tunnel := exchange(upgrade)
			if status != http.StatusSwitchingProtocols {
				t.Fatalf("first tunnel: %d, want 101", status)
			}
			status, c := exchange(upgrade)
			c.Close()
			if status != http.StatusServiceUnavailable {
				t.Errorf("second tunnel: %d, want 503", status)
			}
			status, c = exchange(plain)
			c.Close()
			if status != http.StatusServiceUnavailable {
				t.Errorf("request while the tunnel is open: %d, want 503", status)
			}
			tunnel.Close()
			var got int
			for range 50 { // the proxy notices the tunnel's end
				if got, c = exchange(plain); c.Close() == nil && got == http.StatusOK {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			if got != http.StatusOK {
				t.Errorf("after the tunnel: %d, want 200 (the target must not be ejected)", got)
			}
		})
	}
}

// A route's path_policy overrides the server's for the paths it takes, on both listeners; an
// ambiguous path is refused when it names or resolves to a route that rejects, so a raw or
// normalize route never opens a path into a stricter one.
func TestPathPolicyPerRoute(t *testing.T) {
	target := newRawTarget(t, nil) // answers with the path it got
	for _, fe := range frontEnds(t) {
		r := start(t, fmt.Sprintf(`listen: "127.0.0.1:0"
%supstreams:
  admin: {targets: ["%[2]s/"], host_header: admin}
  orders: {targets: ["%[2]s/"], host_header: orders}
  files: {targets: ["%[2]s/"], host_header: files}
  site: {targets: ["%[2]s/"], host_header: site}
routes:
  - {name: admin, match: {paths: ["/admin/"]}, split: {admin: 1}}
  - {name: orders, match: {paths: ["/orders/"]}, split: {orders: 1}, path_policy: normalize}
  - {name: files, match: {paths: ["/files/"]}, split: {files: 1}, path_policy: raw}
default: site
`, fe.tls, target.URL()), startOpts{tls: fe.tls != ""})
		addr := strings.TrimPrefix(strings.TrimPrefix(r.url, "https://"), "http://")
		for _, tc := range []struct {
			path, want string // want: "route:path the target gets", or "" for a 400
		}{
			{"/files/a%2Fb", "files:/files/a%2Fb"},                 // raw route: sent as is
			{"/site/a%2Fb", ""},                                    // default route: the server's reject
			{"/orders/a/./b/../c", "orders:/orders/a/c"},           // normalize route: cleaned
			{"/orders/..%2ffiles/x", "files:/files/x"},             // cleaned, lands on a raw route
			{"/orders/..%2fadmin/x", ""},                           // resolves to a reject route
			{"/files/..%2fadmin/x", ""},                            // resolves to a reject route
			{"/admin/..%2ffiles/x", ""},                            // names a reject route
			{"/files/..%2forders/x", "files:/files/..%2forders/x"}, // raw: routed as sent
			{"/files/a%20b", "files:/files/a%20b"},
		} {
			t.Run(fe.name+tc.path, func(t *testing.T) {
				resp, body, _ := rawExchange(t, addr, fe.tls != "", "GET "+tc.path+" HTTP/1.1\r\nHost: a\r\n\r\n", "GET")
				got := withoutProbes(target.take())
				if resp == nil {
					t.Fatalf("no response; the target got %q", got)
				}
				if tc.want == "" {
					if resp.StatusCode != http.StatusBadRequest || len(got) != 0 {
						t.Errorf("%d %q, the target got %q; want 400 and nothing forwarded", resp.StatusCode, body, got)
					}
					return
				}
				host, path, _ := strings.Cut(tc.want, ":")
				if resp.StatusCode != http.StatusOK || len(got) != 1 || !strings.HasPrefix(got[0], "GET "+path+" HTTP/1.1\r\n") || !strings.Contains(got[0], "\r\nHost: "+host+"\r\n") {
					t.Errorf("%d %q, the target got %q; want GET %s on the %s route", resp.StatusCode, body, got, path, host)
				}
			})
		}
	}
}

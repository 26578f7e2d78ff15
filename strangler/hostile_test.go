package strangler

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// The high-severity finding: a client's own faults — no Host, a bad chunk size, an upload it
// abandons, Connection naming Content-Length, an https absolute-form target — got 502s that
// counted against the target, and five of them ejected a healthy target for everyone. They are
// now answered 4xx and never touch the target's health; the target keeps serving.
func TestClientFaultsNeverEjectTheTarget(t *testing.T) {
	target := newRawTarget(t, map[string]string{})
	for _, fe := range frontEnds(t) {
		t.Run(fe.name, func(t *testing.T) {
			r := start(t, fmt.Sprintf("listen: \"127.0.0.1:0\"\n%supstreams: {monolith: {targets: [%q], passive: {failures: 5, eject: 1h}}}\ndefault: monolith\n",
				fe.tls, target.URL()), startOpts{tls: fe.tls != ""})
			faults := []struct{ raw, status string }{
				{"GET / HTTP/1.0\r\n\r\n", "400"},
				{"POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", "400"},
				{"POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nonly part of it", ""}, // then hangs up
				{"POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n64\r\nonly part", ""},
				{"POST /a HTTP/1.1\r\nHost: a\r\nConnection: Content-Length\r\nContent-Length: 5\r\n\r\nhello", "200"},
				{"GET https://a/x HTTP/1.1\r\nHost: a\r\n\r\n", "200"},
			}
			for _, f := range faults {
				for range 5 {
					c := dialRaw(t, r)
					io.WriteString(c, f.raw)
					if f.status == "" {
						if tc, ok := c.(*net.TCPConn); ok {
							tc.CloseWrite()
						} else {
							c.(*tls.Conn).CloseWrite()
						}
					}
					// The proxy reports to the pool before it answers, so once the answer
					// (or the close) is here, any strike has been counted.
					resp, err := http.ReadResponse(bufio.NewReader(c), nil)
					c.Close()
					switch {
					case f.status != "" && (err != nil || fmt.Sprint(resp.StatusCode) != f.status):
						t.Errorf("%q answered %v, want %s", f.raw, statusOf(resp, err), f.status)
					case f.status == "" && err == nil && resp.StatusCode == http.StatusBadGateway:
						t.Errorf("an abandoned upload %q was answered as the target's fault", f.raw)
					}
				}
			}
			tg := r.p.Pool("monolith").Targets()[0]
			if tg.Ejected(time.Now().UnixNano()) {
				t.Fatal("client faults ejected the target")
			}
			if resp, body := get(t, &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}, r.url+"/after", nil); resp.StatusCode != 200 || body != "ok" {
				t.Errorf("after the faults: %d %q", resp.StatusCode, body)
			}
		})
	}
}

// A target that answers one request with two responses must not shift the queue: the next
// request on the same pooled connection gets its own response, not the extra one. Both
// listeners forward through the fasthttp client, which checks a kept-alive connection before
// reusing it (a non-blocking peek) and closes one holding bytes nobody asked for.
func TestNoResponseQueuePoisoning(t *testing.T) {
	extra := make(chan net.Conn, 16)
	ln := ownTarget(t, "", func(c net.Conn, path string) {
		if path == "/extra" {
			extra <- c // the test writes the unsolicited response once the first is read
		}
	})
	for _, fe := range frontEnds(t) {
		t.Run(fe.name, func(t *testing.T) {
			r := start(t, fmt.Sprintf("listen: \"127.0.0.1:0\"\n%supstreams: {monolith: {targets: [\"http://%s\"]}}\ndefault: monolith\n", fe.tls, ln.Addr()), startOpts{tls: fe.tls != ""})
			c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
			if _, body := get(t, c, r.url+"/extra", nil); body != "own:/extra" {
				t.Fatalf("first request: %q", body)
			}
			up := <-extra
			io.WriteString(up, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil")
			for i := range 3 {
				path := fmt.Sprintf("/next%d", i)
				if resp, body := get(t, c, r.url+path, nil); body != "own:"+path {
					t.Errorf("request %s got %d %q: another request's response", path, resp.StatusCode, body)
				}
			}
		})
	}
}

// A target that answers every request twice, the second answer sent right behind the first,
// must not shift the queue under load: every client gets the response to its own request. On
// the TLS listener net/http's transport loses this race (a request that takes the connection
// from the pool before the transport's read loop looks at it again reads the waiting extra
// response as its own); both listeners now forward through the fasthttp client, which drops
// the buffered bytes with the response and checks the connection before reusing it. The
// tls-h2 case sends the requests over HTTP/2 (net/http's server in front of that client).
func TestNoResponseQueuePoisoningUnderLoad(t *testing.T) {
	ln := ownTarget(t, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil", nil)
	for _, fe := range withH2(t) {
		t.Run(fe.name, func(t *testing.T) {
			// One upstream connection at a time, so requests queue for it and one takes it as
			// soon as the previous response ends.
			r := start(t, fmt.Sprintf("listen: \"127.0.0.1:0\"\n%saccess_log: {sample: 0}\ntransport: {max_conns_per_host: 1}\n"+
				"upstreams: {monolith: {targets: [\"http://%s\"], passive: {failures: -1}}}\ndefault: monolith\n", fe.tls, ln.Addr()),
				startOpts{tls: fe.tls != ""})
			tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, MaxIdleConnsPerHost: 16, ForceAttemptHTTP2: fe.h2}
			defer tr.CloseIdleConnections()
			c := &http.Client{Transport: tr}
			var wg sync.WaitGroup
			var mu sync.Mutex
			var wrong []string
			for g := range 8 {
				wg.Go(func() {
					for i := range 40 {
						path := fmt.Sprintf("/g%d/%d", g, i)
						resp, err := c.Get(r.url + path)
						if err != nil {
							continue // a closed connection is no shifted response
						}
						b, _ := io.ReadAll(resp.Body)
						resp.Body.Close()
						if resp.StatusCode == 200 && string(b) != "own:"+path {
							mu.Lock()
							wrong = append(wrong, path+" got "+string(b))
							mu.Unlock()
						}
					}
				})
			}
			wg.Wait()
			if len(wrong) > 0 {
				t.Errorf("%d of 320 requests got another's response, e.g. %q", len(wrong), wrong[:min(3, len(wrong))])
			}
		})
	}
}

// A target that closes kept-alive connections after each response (without saying so) must
// not turn the next request into a 502. Both listeners check a pooled connection before they
// write on it, so even a POST (which may not be retried once sent) goes through.
func TestStaleKeepAliveIsNotAnError(t *testing.T) {
	closed := make(chan struct{}, 16)
	ln := serveConns(t, func(c net.Conn) {
		req, err := http.ReadRequest(bufio.NewReader(c))
		if err == nil {
			io.Copy(io.Discard, req.Body)
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		}
		c.Close()
		closed <- struct{}{}
	})
	for _, fe := range frontEnds(t) {
		t.Run(fe.name, func(t *testing.T) {
			r := start(t, fmt.Sprintf("listen: \"127.0.0.1:0\"\n%supstreams: {monolith: {targets: [\"http://%s\"]}}\ndefault: monolith\n", fe.tls, ln.Addr()), startOpts{tls: fe.tls != ""})
			c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
			for i := range 4 {
				resp, err := c.Post(r.url+"/p", "text/plain", strings.NewReader("hello"))
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || string(b) != "ok" {
					t.Fatalf("request %d after the target closed the kept-alive connection: %d %q", i, resp.StatusCode, b)
				}
				<-closed // the target has closed it: the proxy's next request finds it closed
			}
		})
	}
}

// A body that stalls is cut after body_timeout with 408, and it is not the target's fault.
func TestSlowBodyIsCut(t *testing.T) {
	target := newRawTarget(t, map[string]string{})
	for _, fe := range frontEnds(t) {
		t.Run(fe.name, func(t *testing.T) {
			r := start(t, fmt.Sprintf("listen: \"127.0.0.1:0\"\n%sserver: {body_timeout: 200ms}\nupstreams: {monolith: {targets: [%q], passive: {failures: 1, eject: 1h}}}\ndefault: monolith\n",
				fe.tls, target.URL()), startOpts{tls: fe.tls != ""})
			for _, raw := range []string{
				"POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nsome",
				"POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n64\r\nsome",
			} {
				c := dialRaw(t, r)
				resp, _, err := rawRequest(c, raw, "") // and nothing more
				c.Close()
				if err != nil || resp.StatusCode != http.StatusRequestTimeout {
					t.Errorf("stalled body %q: %v, want 408", raw, statusOf(resp, err))
				}
			}
			if r.p.Pool("monolith").Targets()[0].Ejected(time.Now().UnixNano()) {
				t.Error("a stalled body ejected the target")
			}
			if got := target.take(); len(got) != 0 {
				t.Errorf("the target received a complete request from a stalled body: %q", got)
			}
		})
	}
}

func statusOf(resp *http.Response, err error) string {
	if err != nil {
		return err.Error()
	}
	return resp.Status
}

// serveConns is a raw target on loopback: each connection is handed to handle, with a 20 s
// deadline; the listener closes and every handler is waited for when the test ends.
// ownTarget answers every request with "own:" and its path, followed by extra (bytes nobody
// asked for; "" for none), then calls seen (when not nil) with the connection and the path.
func ownTarget(t *testing.T, extra string, seen func(c net.Conn, path string)) net.Listener {
	return serveConns(t, func(c net.Conn) {
		defer c.Close()
		br := bufio.NewReader(c)
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			io.Copy(io.Discard, req.Body)
			body := "own:" + req.URL.Path
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s%s", len(body), body, extra)
			if seen != nil {
				seen(c, req.URL.Path)
			}
		}
	})
}

func serveConns(t *testing.T, handle func(net.Conn)) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.SetDeadline(time.Now().Add(20 * time.Second))
			wg.Go(func() { handle(c) })
		}
	})
	return ln
}

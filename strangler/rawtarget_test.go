package strangler

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// rawTarget is a target on loopback that records the exact bytes of every complete request it
// receives (a request whose body did not arrive whole is not recorded) and answers each with
// the raw response registered for its path, or a plain 200 "ok" — or, with no responses at
// all, a 200 whose body is the request's path.
type rawTarget struct {
	ln        net.Listener
	mu        sync.Mutex
	got       []string          // raw bytes of each complete request, in arrival order
	responses map[string]string // path -> raw response bytes
	conns     int
}

const okResponse = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

func newRawTarget(t testing.TB, responses map[string]string) *rawTarget {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rt := &rawTarget{ln: ln, responses: responses}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			rt.mu.Lock()
			rt.conns++
			rt.mu.Unlock()
			wg.Go(func() { rt.serve(c) })
		}
	})
	return rt
}

// teeReader keeps every byte read through it.
type teeReader struct {
	r   io.Reader
	buf []byte
}

func (t *teeReader) Read(b []byte) (int, error) {
	n, err := t.r.Read(b)
	t.buf = append(t.buf, b[:n]...)
	return n, err
}

func (rt *rawTarget) serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	tee := &teeReader{r: c}
	br := bufio.NewReader(tee)
	start := 0
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		if _, err := io.Copy(io.Discard, req.Body); err != nil {
			return
		}
		end := len(tee.buf) - br.Buffered()
		raw := string(tee.buf[start:end])
		start = end
		rt.mu.Lock()
		rt.got = append(rt.got, raw)
		resp, ok := rt.responses[req.URL.Path]
		rt.mu.Unlock()
		if !ok && rt.responses == nil {
			resp = fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(req.URL.Path), req.URL.Path)
		} else if !ok {
			resp = okResponse
		}
		if _, err := io.WriteString(c, resp); err != nil {
			return
		}
		if strings.Contains(resp, "Connection: close") {
			return
		}
	}
}

// take returns the requests received since the last take, each with its header lines sorted
// (the two listeners write headers in different orders; the bytes are otherwise exact).
func (rt *rawTarget) take() []string {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	out := make([]string, 0, len(rt.got))
	for _, raw := range rt.got {
		out = append(out, sortedHeaders(raw))
	}
	rt.got = nil
	return out
}

func sortedHeaders(raw string) string {
	head, body, _ := strings.Cut(raw, "\r\n\r\n")
	lines := strings.Split(head, "\r\n")
	slices.Sort(lines[1:])
	return strings.Join(lines, "\r\n") + "\r\n\r\n" + body
}

func (rt *rawTarget) URL() string { return "http://" + rt.ln.Addr().String() }

// rawExchange sends raw on a new connection to the proxy at addr (TLS when tlsOn, HTTP/1.1
// only), reads one response, then sends a probe request to learn whether the proxy kept the
// connection open.
func rawExchange(t *testing.T, addr string, tlsOn bool, raw, method string) (resp *http.Response, body []byte, open bool) {
	t.Helper()
	c := dialAddr(t, addr, tlsOn)
	defer c.Close()
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	for {
		var err error
		resp, err = http.ReadResponse(br, &http.Request{Method: method})
		if err != nil {
			return nil, nil, false
		}
		if resp.StatusCode >= 200 { // 1xx may be passed on before the final response
			break
		}
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if _, err := io.WriteString(c, "GET /__probe HTTP/1.1\r\nHost: probe\r\n\r\n"); err != nil {
		return resp, body, false
	}
	pr, err := http.ReadResponse(br, nil)
	if err != nil {
		return resp, body, false
	}
	io.Copy(io.Discard, pr.Body)
	pr.Body.Close()
	return resp, body, true
}

// withoutProbes drops the probe requests rawExchange sends.
func withoutProbes(reqs []string) []string {
	return slices.DeleteFunc(reqs, func(s string) bool { return strings.HasPrefix(s, "GET /__probe ") })
}

package strangler

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

// FuzzPlainListener feeds arbitrary bytes to the plain listener, in front of a target that
// records every request it receives and answers each with its path. However the bytes parse,
// the target must never receive more requests than the client got responses — one client
// request never becomes two target requests — and the pooled connection to the target must
// stay in step: a request sent afterwards gets its own response. The seeds (the conformance
// table, plus testdata/fuzz/FuzzPlainListener) run with every go test.
func FuzzPlainListener(f *testing.F) {
	for _, row := range conformance {
		f.Add([]byte(row.raw))
	}
	target := newRawTarget(f, nil)
	r := start(f, fmt.Sprintf("listen: \"127.0.0.1:0\"\naccess_log: {sample: 0}\nserver: {read_header_timeout: 1s, body_timeout: 1s}\n"+
		"upstreams: {monolith: {targets: [%q], passive: {failures: -1}}}\ndefault: monolith\n", target.URL()), startOpts{})
	addr := strings.TrimPrefix(r.url, "http://")
	f.Fuzz(func(t *testing.T, raw []byte) {
		target.take()
		c := dialAddr(t, addr, false)
		c.Write(raw)
		c.(*net.TCPConn).CloseWrite()
		responses := 0
		br := bufio.NewReader(c)
		for {
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				break
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode >= 200 {
				responses++
			}
		}
		c.Close()
		// A request on the same pooled upstream connection: were the target sent a request
		// the proxy did not count, this would get that request's response.
		sync := dialSync(t, addr)
		if got := target.take(); len(withoutSync(got)) > responses {
			t.Fatalf("%d client responses, but the target received %d requests: %q", responses, len(withoutSync(got)), got)
		}
		if sync != "/__sync" {
			t.Fatalf("the next request got %q: the upstream connection is out of step", sync)
		}
	})
}

func dialSync(t *testing.T, addr string) string {
	t.Helper()
	c := dialAddr(t, addr, false)
	defer c.Close()
	_, body, err := rawRequest(c, "GET /__sync HTTP/1.1\r\nHost: sync\r\n\r\n", "")
	if err != nil {
		t.Fatalf("sync request: %v", err)
	}
	return body
}

func withoutSync(reqs []string) []string {
	var out []string
	for _, r := range reqs {
		if !strings.HasPrefix(r, "GET /__sync ") {
			out = append(out, r)
		}
	}
	return out
}

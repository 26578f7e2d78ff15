package strangler

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// conformanceRow is one raw exchange: the bytes a client sends, what it must get back, and the
// exact requests the target must receive (header lines sorted; {proto} is http or https).
type conformanceRow struct {
	name   string
	raw    string
	method string // of the request whose response is read (HEAD has no body); default GET
	status int
	open   bool     // the proxy keeps the client's connection open afterwards
	body   string   // the response body the client gets, when checked ("-" for none)
	target []string // requests the target receives, in order
}

// fwd is the request a target receives for a plain GET of path with Host host and extra
// header lines.
func fwd(method, path, host string, extra ...string) string {
	lines := append([]string{method + " " + path + " HTTP/1.1", "Host: " + host,
		"X-Forwarded-For: 127.0.0.1", "X-Forwarded-Host: " + host, "X-Forwarded-Proto: {proto}"}, extra...)
	return strings.Join(lines, "\r\n") + "\r\n\r\n"
}

func withBody(req, body string) string { return req + body }

// conformance is the table. Requests go to the "strict" upstream, whose target one passive
// failure ejects for an hour: a row that is the client's fault and struck the target would
// turn every later row into a 503. Paths under /resp/ go to a target answering with the raw
// response registered for the path, with passive ejection off. Every row runs against both
// listeners and both must answer alike: the TLS listener serves HTTP/1.1 with the plain
// listener's front end (only HTTP/2, which has no such framing to confuse, goes to net/http).
var conformance = []conformanceRow{
	{name: "plain GET", raw: "GET /a HTTP/1.1\r\nHost: a\r\n\r\n", status: 200, open: true, body: "ok",
		target: []string{fwd("GET", "/a", "a")}},
	{name: "POST with Content-Length", raw: "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello", status: 200, open: true,
		target: []string{withBody(fwd("POST", "/a", "a", "Content-Length: 5"), "hello")}},

	// Request smuggling.
	{name: "CL.TE", raw: "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG", status: 400},
	{name: "TE.CL", raw: "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n", status: 400},
	{name: "TE identity with CL", raw: "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\nContent-Length: 5\r\n\r\nhello", status: 501},
	{name: "TE identity alone", raw: "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n", status: 501},
	{name: "TE chunked, identity", raw: "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n", status: 501},
	{name: "TE xchunked", raw: "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", status: 501},
	{name: "TE space before colon", raw: "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n", status: 400},
	{name: "TE twice", raw: "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", status: 501},
	{name: "TE upper case", raw: "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: CHUNKED\r\n\r\n5\r\nhello\r\n0\r\n\r\n", status: 200, open: true,
		target: []string{withBody(fwd("POST", "/a", "a", "Transfer-Encoding: chunked"), "5\r\nhello\r\n0\r\n\r\n")}},
	{name: "TE in HTTP/1.0", raw: "POST /a HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", status: 501},
	{name: "duplicate CL, equal", raw: "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello", status: 400},
	{name: "duplicate CL, different", raw: "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", status: 400},
	{name: "CL list", raw: "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\nhello", status: 400},
	{name: "CL signed", raw: "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello", status: 400},
	{name: "CL negative", raw: "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: -5\r\n\r\nhello", status: 400},
	{name: "chunk size hex prefix", raw: "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n", status: 400},
	{name: "chunk size overflow", raw: "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFF1\r\nhello\r\n0\r\n\r\n", status: 400},
	{name: "chunk size negative", raw: "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n", status: 400},
	{name: "chunk extension", raw: "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n0\r\n\r\n", status: 200, open: true,
		target: []string{withBody(fwd("POST", "/a", "a", "Transfer-Encoding: chunked"), "5\r\nhello\r\n0\r\n\r\n")}},
	{name: "chunk data longer than its size", raw: "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n", status: 400},
	// fasthttp ends a header block only at CRLF CRLF and waits for one until read_header_timeout
	// (nginx accepts bare LF).
	{name: "bare LF line ends", raw: "GET /a HTTP/1.1\nHost: a\nX-A: 1\n\n", status: 408},
	{name: "obs-fold", raw: "GET /a HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n 2\r\n\r\n", status: 400},
	{name: "space in header name", raw: "GET /a HTTP/1.1\r\nHost: a\r\nX A: 1\r\n\r\n", status: 400},
	{name: "underscore header name dropped", raw: "GET /a HTTP/1.1\r\nHost: a\r\nX_Auth_User: admin\r\nX-A: 1\r\n\r\n", status: 200, open: true,
		target: []string{fwd("GET", "/a", "a", "X-A: 1")}},
	{name: "NUL in header value", raw: "GET /a HTTP/1.1\r\nHost: a\r\nX-A: 1\x002\r\n\r\n", status: 400},

	// Request line.
	{name: "HTTP/1.2", raw: "GET /a HTTP/1.2\r\nHost: a\r\n\r\n", status: 505},
	{name: "HTTP/2.0 on HTTP/1", raw: "GET /a HTTP/2.0\r\nHost: a\r\n\r\n", status: 505},
	{name: "lower-case method", raw: "get /a HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
	{name: "extension method", raw: "PROPFIND /a HTTP/1.1\r\nHost: a\r\n\r\n", status: 200, open: true,
		target: []string{fwd("PROPFIND", "/a", "a", "Content-Length: 0")}},
	{name: "CONNECT", raw: "CONNECT b:443 HTTP/1.1\r\nHost: b:443\r\n\r\n", status: 405},
	{name: "two spaces in request line", raw: "GET  /a HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
	{name: "HTTP/1.0 keep-alive ends", raw: "GET /a HTTP/1.0\r\nHost: a\r\n\r\n", status: 200,
		target: []string{strings.Replace(fwd("GET", "/a", "a"), "HTTP/1.1", "HTTP/1.0", 1)}},

	// Paths (server.path_policy: reject, the default).
	{name: "encoded slash after dot-dot", raw: "GET /admin/..%2forders/x HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
	{name: "encoded dot segment", raw: "GET /a/%2e%2e/b HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
	{name: "dot segment", raw: "GET /a/./b HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
	{name: "encoded backslash", raw: "GET /a%5cb HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
	{name: "encoded NUL", raw: "GET /a%00b HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
	{name: "bad percent-encoding", raw: "GET /a%zzb HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},
	{name: "encoded space kept", raw: "GET /a%20b?q=%2f HTTP/1.1\r\nHost: a\r\n\r\n", status: 200, open: true,
		target: []string{fwd("GET", "/a%20b?q=%2f", "a")}},
	{name: "double slash kept", raw: "GET /a//b HTTP/1.1\r\nHost: a\r\n\r\n", status: 200, open: true,
		target: []string{fwd("GET", "/a//b", "a")}},

	// Host.
	{name: "no Host in HTTP/1.1", raw: "GET /a HTTP/1.1\r\n\r\n", status: 400},
	{name: "no Host in HTTP/1.0", raw: "GET / HTTP/1.0\r\n\r\n", status: 400},
	{name: "two Hosts", raw: "GET /a HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", status: 400},
	{name: "Host with a space", raw: "GET /a HTTP/1.1\r\nHost: a b\r\n\r\n", status: 400},
	{name: "Host with a slash", raw: "GET /a HTTP/1.1\r\nHost: a/b\r\n\r\n", status: 400},
	{name: "absolute-form http", raw: "GET http://b/x?q=1 HTTP/1.1\r\nHost: a\r\n\r\n", status: 200, open: true,
		target: []string{fwd("GET", "/x?q=1", "b")}},
	{name: "absolute-form https", raw: "GET https://b/x HTTP/1.1\r\nHost: a\r\n\r\n", status: 200, open: true,
		target: []string{fwd("GET", "/x", "b")}},

	// Hop-by-hop and Connection-named headers.
	{name: "hop-by-hop dropped", raw: "GET /a HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\nProxy-Connection: keep-alive\r\nProxy-Authorization: Basic Zm9v\r\nUpgrade: h2c\r\nTrailer: X-T\r\nX-A: 1\r\n\r\n",
		status: 200, open: true, target: []string{fwd("GET", "/a", "a", "X-A: 1")}},
	{name: "Connection: close", raw: "GET /a HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", status: 200,
		target: []string{fwd("GET", "/a", "a")}},
	{name: "Connection names Content-Length", raw: "POST /a HTTP/1.1\r\nHost: a\r\nConnection: Content-Length\r\nContent-Length: 5\r\n\r\nhello", status: 200, open: true,
		target: []string{withBody(fwd("POST", "/a", "a", "Content-Length: 5"), "hello")}},
	{name: "Connection names Host", raw: "GET /a HTTP/1.1\r\nHost: a\r\nConnection: Host\r\n\r\n", status: 200, open: true,
		target: []string{fwd("GET", "/a", "a")}},
	{name: "Connection names X-Forwarded-For", raw: "GET /a HTTP/1.1\r\nHost: a\r\nConnection: X-Forwarded-For\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n", status: 200, open: true,
		target: []string{fwd("GET", "/a", "a")}},

	// Forwarded-header spoofing from an untrusted peer.
	{name: "X-Forwarded-For twice", raw: "GET /a HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 1.1.1.1\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n", status: 200, open: true,
		target: []string{fwd("GET", "/a", "a")}},
	{name: "X-Forwarded-* in mixed case, twice", raw: "GET /a HTTP/1.1\r\nHost: a\r\nx-forwarded-host: evil\r\nX-FORWARDED-HOST: evil2\r\nx-forwarded-proto: https\r\nX-Forwarded-Proto: https\r\nforwarded: for=6.6.6.6\r\nX-Forwarded-For: 6.6.6.6\r\nx-forwarded-for: 7.7.7.7\r\n\r\n",
		status: 200, open: true, target: []string{fwd("GET", "/a", "a")}},
}

// responseRows are the response side: the target answers /resp/<name> with the raw bytes
// given, and the client must get status and body.
var responseRows = []struct {
	name, resp, method string
	status             int
	body               string
}{
	{"plain", okResponse, "GET", 200, "ok"},
	{"CR in a header value", "HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 2\r\n\r\nok", "GET", 502, ""},
	{"two different Content-Lengths", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok!", "GET", 502, ""},
	{"CL and TE", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", "GET", 200, "ok"},
	{"100 then 200", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", "GET", 200, "ok"},
	{"103 then 200", "HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", "GET", 200, "ok"},
	{"204 with a body", "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello", "GET", 204, ""},
	{"304 with a body", "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\nhello", "GET", 304, ""},
	{"HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", "HEAD", 200, ""},
	{"one extra response", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil", "GET", 200, "ok"},
	// fasthttp's client ends a header block only at CRLF CRLF: response_header_timeout ends the wait.
	{"bare LF", "HTTP/1.1 200 OK\nContent-Length: 2\n\nok", "GET", 504, ""},
	{"garbage", "HELLO\r\n\r\n", "GET", 502, ""},
}

func TestConformance(t *testing.T) {
	responses := map[string]string{}
	for i, rr := range responseRows {
		responses[fmt.Sprintf("/resp/%d", i)] = rr.resp
	}
	target := newRawTarget(t, responses)
	for _, fe := range frontEnds(t) {
		t.Run(fe.name, func(t *testing.T) {
			yaml := fmt.Sprintf(`listen: "127.0.0.1:0"
%saccess_log: {sample: 0}
server: {read_header_timeout: 2s}
transport: {response_header_timeout: 2s}
upstreams:
  strict: {targets: [%q], passive: {failures: 1, eject: 1h}}
  lenient: {targets: [%q], passive: {failures: -1}}
routes:
  - {name: resp, match: {paths: ["/resp/"]}, split: {lenient: 1}, retries: 0}
default: strict
`, fe.tls, target.URL(), target.URL())
			r := start(t, yaml, startOpts{tls: fe.tls != ""})
			addr := strings.TrimPrefix(strings.TrimPrefix(r.url, "https://"), "http://")
			proto := map[bool]string{false: "http", true: "https"}[fe.tls != ""]
			strict := r.p.Pool("strict").Targets()[0]
			for _, row := range conformance {
				t.Run(row.name, func(t *testing.T) {
					status, open, want := row.status, row.open, row.target
					method := cmp(row.method, "GET")
					resp, body, gotOpen := rawExchange(t, addr, fe.tls != "", row.raw, method)
					got := withoutProbes(target.take())
					if resp == nil {
						t.Fatalf("no response; the target got %q", got)
					}
					if resp.StatusCode != status {
						t.Errorf("status %d (%q), want %d", resp.StatusCode, body, status)
					}
					if gotOpen != open {
						t.Errorf("connection open after the response: %v, want %v", gotOpen, open)
					}
					if row.body != "" && string(body) != row.body {
						t.Errorf("body %q, want %q", body, row.body)
					}
					var wantN []string
					for _, w := range want {
						wantN = append(wantN, sortedHeaders(strings.ReplaceAll(w, "{proto}", proto)))
					}
					if !slices.Equal(got, wantN) {
						t.Errorf("the target received\n%q\nwant\n%q", got, wantN)
					}
					if strict.Ejected(time.Now().UnixNano()) {
						t.Fatalf("the row struck the target: it is ejected")
					}
				})
			}
			for i, rr := range responseRows {
				t.Run("response/"+rr.name, func(t *testing.T) {
					// Twice: the second exchange shows the first left nothing behind on a
					// pooled upstream connection.
					for range 2 {
						raw := fmt.Sprintf("%s /resp/%d HTTP/1.1\r\nHost: a\r\n\r\n", rr.method, i)
						resp, body, _ := rawExchange(t, addr, fe.tls != "", raw, rr.method)
						target.take()
						if resp == nil {
							t.Fatal("no response")
						}
						status, want := rr.status, rr.body
						if resp.StatusCode != status || status < 500 && string(body) != want {
							t.Errorf("%d %q, want %d %q", resp.StatusCode, body, status, want)
						}
					}
				})
			}
		})
	}
}

func cmp(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

var _ = http.StatusOK

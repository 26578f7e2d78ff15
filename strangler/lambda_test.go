package strangler

import (
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/carve-dev/carve/internal/testenv"
	"github.com/carve-dev/carve/strangler/config"
)

// A Lambda upstream, for real: a Go handler built with aws-lambda-go runs under the Lambda
// Runtime Interface Emulator and is invoked through the proxy with the SDK's Invoke API, on
// both front ends. The event the function receives and the response the client gets are
// checked field by field, as are the answers the proxy gives on the function's behalf.
func TestLambdaUpstream(t *testing.T) {
	fn := testenv.Lambda(t)
	mono := newBackend(t, "monolith")
	for _, fe := range withH2(t) {
		t.Run(fe.name, func(t *testing.T) {
			yaml := fmt.Sprintf(`listen: "127.0.0.1:0"
%saccess_log: {sample: 0}
upstreams:
  monolith: {targets: [%[2]q]}
  orders: {lambda: {function: orders-fn, region: us-east-1, endpoint: %[3]q}, passive: {failures: -1}}
  fragile: {lambda: {function: orders-fn, region: us-east-1, endpoint: %[3]q}, passive: {failures: 2, eject: 1m}}
  sick: {lambda: {function: orders-fn, region: us-east-1, endpoint: %[3]q}, health: {path: /status/503, interval: 50ms, unhealthy: 1}}
routes:
  - {name: fn, match: {paths: ["/fn/"]}, split: {orders: 1}}
  - {name: split, match: {paths: ["/split/"]}, split: {orders: 1, monolith: 1}, sticky: {cookie: carve-split}}
  - {name: slow, match: {paths: ["/slow/"]}, split: {orders: 1}, timeout: 200ms}
  - {name: fragile, match: {paths: ["/fragile/"]}, split: {fragile: 1}}
  - {name: sick, match: {paths: ["/sick/"]}, split: {sick: 1}}
default: monolith
`, fe.tls, mono.URL(), fn.Endpoint)
			r := start(t, yaml, startOpts{tls: fe.tls != ""})
			tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, DisableCompression: true, ForceAttemptHTTP2: fe.h2}
			defer tr.CloseIdleConnections()
			l := &lambdaClient{fn: fn, r: r, c: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
			// In order: Throttle, Ejection and the health check change the function's state.
			for _, step := range []struct {
				name string
				f    func(*testing.T, *lambdaClient)
			}{
				{"Event", lambdaEventFields},
				{"Bodies", lambdaBodies},
				{"Response", lambdaResponse},
				{"Refusals", lambdaRefusals},
				{"Ejection", lambdaEjection},
				{"Timeout", lambdaTimeout},
				{"StickyCookies", lambdaStickyCookies},
				{"Concurrent", lambdaConcurrent},
				{"WeightedSplit", lambdaWeightedSplit},
			} {
				t.Run(step.name, func(t *testing.T) { step.f(t, l) })
			}
		})
	}
}

// lambdaClient sends requests through the proxy of TestLambdaUpstream.
type lambdaClient struct {
	fn *testenv.LambdaFunction
	r  *running
	c  *http.Client
}

func (l *lambdaClient) do(t *testing.T, method, path string, body []byte, hdr http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, l.r.url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body == nil {
		req.Body = http.NoBody
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	resp, err := l.c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func lambdaEvent(t *testing.T, b []byte) events.APIGatewayV2HTTPRequest {
	t.Helper()
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatalf("echoed event %q: %v", b, err)
	}
	return ev
}

// lambdaBinary is 256 bytes, each value once.
func lambdaBinary() []byte {
	bin := make([]byte, 256)
	for i := range bin {
		bin[i] = byte(i)
	}
	return bin
}

// The request as an API Gateway HTTP API 2.0 event.
func lambdaEventFields(t *testing.T, l *lambdaClient) {
	resp, b := l.do(t, "GET", "/fn/echo?a=1&a=2&b=x%20y", nil, http.Header{
		"X-Multi": {"one", "two"}, "Cookie": {"c1=v1; c2=v2"}, "User-Agent": {"carve-test"}})
	if resp.StatusCode != 200 {
		t.Fatalf("echo: %d %s", resp.StatusCode, b)
	}
	ev := lambdaEvent(t, b)
	if ev.Version != "2.0" || ev.RawPath != "/fn/echo" || ev.RawQueryString != "a=1&a=2&b=x%20y" {
		t.Errorf("version %q rawPath %q rawQueryString %q", ev.Version, ev.RawPath, ev.RawQueryString)
	}
	if q := ev.QueryStringParameters; q["a"] != "1,2" || q["b"] != "x y" {
		t.Errorf("queryStringParameters %v, want a=1,2 and b=x y", q)
	}
	if !slices.Equal(ev.Cookies, []string{"c1=v1", "c2=v2"}) {
		t.Errorf("cookies %q", ev.Cookies)
	}
	if h := ev.Headers; h["x-multi"] != "one,two" || h["cookie"] != "" || h["x-forwarded-for"] != "127.0.0.1" || h["user-agent"] != "carve-test" || h["host"] == "" {
		t.Errorf("headers %v: want x-multi joined with a comma, no cookie, the proxy's x-forwarded-for, the host", h)
	}
	if hc := ev.RequestContext.HTTP; hc.Method != "GET" || hc.Path != "/fn/echo" || hc.SourceIP != "127.0.0.1" || hc.UserAgent != "carve-test" {
		t.Errorf("requestContext.http %+v", hc)
	}
	if ev.IsBase64Encoded || ev.Body != "" {
		t.Errorf("a GET has no body: %q (base64 %v)", ev.Body, ev.IsBase64Encoded)
	}
}

// Bodies: text as is, anything else base64.
func lambdaBodies(t *testing.T, l *lambdaClient) {
	bin := lambdaBinary()
	_, b := l.do(t, "POST", "/fn/echo", bin, http.Header{"Content-Type": {"application/octet-stream"}})
	if ev := lambdaEvent(t, b); !ev.IsBase64Encoded || ev.Body != base64.StdEncoding.EncodeToString(bin) || ev.RequestContext.HTTP.Method != "POST" {
		t.Errorf("binary body: isBase64Encoded %v, body %.40q", ev.IsBase64Encoded, ev.Body)
	}
	_, b = l.do(t, "POST", "/fn/echo", []byte(`{"id":1}`), http.Header{"Content-Type": {"application/json"}})
	if ev := lambdaEvent(t, b); ev.IsBase64Encoded || ev.Body != `{"id":1}` {
		t.Errorf("json body: isBase64Encoded %v, body %q", ev.IsBase64Encoded, ev.Body)
	}
}

// The response: cookies as Set-Cookie lines, multi-value headers, base64 bodies, status.
func lambdaResponse(t *testing.T, l *lambdaClient) {
	bin := lambdaBinary()
	resp, b := l.do(t, "GET", "/fn/cookies", nil, nil)
	if sc := resp.Header.Values("Set-Cookie"); !slices.Equal(sc, []string{"a=1; Path=/", "b=2; HttpOnly"}) || string(b) != "cookies" {
		t.Errorf("cookies: Set-Cookie %q, body %q", sc, b)
	}
	if mv := resp.Header.Values("X-Multi"); !slices.Equal(mv, []string{"one", "two"}) {
		t.Errorf("multiValueHeaders: X-Multi %q", mv)
	}
	resp, b = l.do(t, "GET", "/fn/binary", nil, nil)
	if !bytes.Equal(b, bin) || resp.Header.Get("Content-Type") != "application/octet-stream" {
		t.Errorf("binary response: %d bytes, content type %q", len(b), resp.Header.Get("Content-Type"))
	}
	resp, b = l.do(t, "GET", "/fn/status/418", nil, nil)
	if resp.StatusCode != 418 || string(b) != "status 418" || resp.Header.Get("X-Fn") != "status" {
		t.Errorf("status: %d %q X-Fn %q", resp.StatusCode, b, resp.Header.Get("X-Fn"))
	}
	resp, b = l.do(t, "GET", "/fn/plain", nil, nil)
	if resp.StatusCode != 200 || string(b) != `{"hello":"world"}` || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("a bare JSON answer is the body: %d %q %q", resp.StatusCode, b, resp.Header.Get("Content-Type"))
	}
}

// What the proxy answers for the function, saying why.
func lambdaRefusals(t *testing.T, l *lambdaClient) {
	for _, tc := range []struct {
		name, method, path string
		body               []byte
		ctype              string
		status             int
		want               string
	}{
		{"function error", "GET", "/fn/fail", nil, "", 502, "lambda function orders-fn failed (Unhandled)"},
		{"bad response", "GET", "/fn/bad", nil, "", 502, "isBase64Encoded is set but the body is not base64"},
		{"response too large", "GET", "/fn/big?n=6300000", nil, "", 502, "response too large from lambda function orders-fn"},
		{"body too large", "POST", "/fn/echo", bytes.Repeat([]byte("x"), 6<<20+1), "text/plain", 413, "request too large for lambda function orders-fn: its body is over the 6291456-byte payload limit"},
		{"event too large", "POST", "/fn/echo", bytes.Repeat([]byte{0xff}, 5<<20), "application/octet-stream", 413, "its event is"},
	} {
		resp, b := l.do(t, tc.method, tc.path, tc.body, http.Header{"Content-Type": {tc.ctype}})
		if resp.StatusCode != tc.status || !strings.Contains(string(b), tc.want) {
			t.Errorf("%s: %d %.200q; want %d saying %q", tc.name, resp.StatusCode, b, tc.status, tc.want)
		}
	}
	resp, b := l.do(t, "GET", "/fn/big?n=6000000", nil, nil)
	if resp.StatusCode != 200 || len(b) != 6000000 {
		t.Errorf("a response under the limit: %d, %d bytes", resp.StatusCode, len(b))
	}
	l.fn.Throttle(1, "/fn/echo")
	resp, b = l.do(t, "GET", "/fn/echo", nil, nil)
	if resp.StatusCode != 503 || !strings.Contains(string(b), "lambda function orders-fn is throttled") || resp.Header.Get("Retry-After") != "1" {
		t.Errorf("throttled: %d %q Retry-After %q", resp.StatusCode, b, resp.Header.Get("Retry-After"))
	}
}

// Function errors count against the target like a failing host's 502s.
func lambdaEjection(t *testing.T, l *lambdaClient) {
	for range 2 {
		l.do(t, "GET", "/fragile/fail", nil, nil)
	}
	resp, b := l.do(t, "GET", "/fragile/echo", nil, nil)
	if resp.StatusCode != 503 || !strings.Contains(string(b), "no healthy target for upstream fragile") {
		t.Errorf("after 2 function errors with passive.failures 2: %d %q; want the target ejected", resp.StatusCode, b)
	}
	// Active health checks invoke the function too.
	deadline := time.Now().Add(10 * time.Second)
	for l.r.p.Pool("sick").Targets()[0].Healthy() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if resp, _ := l.do(t, "GET", "/sick/echo", nil, nil); resp.StatusCode != 503 {
		t.Errorf("a function failing its health check still gets traffic: %d", resp.StatusCode)
	}
}

// A route's timeout bounds the invoke: 504, as for a slow host.
func lambdaTimeout(t *testing.T, l *lambdaClient) {
	resp, b := l.do(t, "GET", "/slow/sleep?ms=700", nil, nil)
	if resp.StatusCode != 504 || !strings.Contains(string(b), "upstream timed out") {
		t.Errorf("invoke past the route's timeout: %d %q; want 504", resp.StatusCode, b)
	}
}

// A sticky split: the proxy's cookie and the function's cookies all reach the client.
func lambdaStickyCookies(t *testing.T, l *lambdaClient) {
	for i := 0; ; i++ {
		resp, b := l.do(t, "GET", "/split/cookies", nil, nil)
		if string(b) != "cookies" {
			if i == 50 {
				t.Fatalf("50 new users and none went to the function: %q", b)
			}
			continue
		}
		sc := resp.Header.Values("Set-Cookie")
		if len(sc) != 3 || !slices.Contains(sc, "a=1; Path=/") || !slices.Contains(sc, "b=2; HttpOnly") || !slices.ContainsFunc(sc, func(c string) bool { return strings.HasPrefix(c, "carve-split=") }) {
			t.Errorf("Set-Cookie on a sticky split to the function: %q", sc)
		}
		break
	}
}

// Concurrent requests (the race detector watches the Lambda path's shared state).
func lambdaConcurrent(t *testing.T, l *lambdaClient) {
	var wg sync.WaitGroup
	errs := make(chan string, 16)
	for g := range 8 {
		wg.Go(func() {
			for i := range 3 {
				path := fmt.Sprintf("/fn/echo?g=%d&i=%d", g, i)
				resp, err := l.c.Get(l.r.url + path)
				if err != nil {
					errs <- err.Error()
					return
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				var ev events.APIGatewayV2HTTPRequest
				if resp.StatusCode != 200 || json.Unmarshal(b, &ev) != nil || ev.RawQueryString != path[len("/fn/echo?"):] {
					errs <- fmt.Sprintf("%s: %d %.100q", path, resp.StatusCode, b)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error("concurrent:", e)
	}
}

// A weighted split between the monolith and the function.
func lambdaWeightedSplit(t *testing.T, l *lambdaClient) {
	sides := map[string]int{}
	for range 100 {
		_, b := l.do(t, "GET", "/split/whoami", nil, nil)
		sides[string(b)]++
	}
	if sides["lambda"] < 25 || sides["monolith"] < 25 || sides["lambda"]+sides["monolith"] != 100 {
		t.Errorf("split 1:1 between monolith and lambda over 100 requests: %v", sides)
	}
}

// A Lambda upstream that cannot be set up (no AWS region anywhere) is refused when the config
// is applied, with the file and line of the upstream, and the running config stays.
func TestLambdaUpstreamWithoutRegion(t *testing.T) {
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SDK_LOAD_CONFIG", "")
	file := writeConfig(t, t.TempDir(), `listen: "127.0.0.1:0"
upstreams:
  monolith: {targets: ["http://127.0.0.1:9"]}
  orders: {lambda: {function: orders-fn}}
default: monolith
`)
	cfg, err := config.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(cfg, Options{})
	if err == nil || !strings.Contains(err.Error(), file+":4: upstreams.orders.lambda: lambda function orders-fn: no AWS region: set lambda.region or AWS_REGION") {
		t.Fatalf("New: %v", err)
	}
}

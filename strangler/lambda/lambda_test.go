package lambda

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/carve-dev/carve/strangler/config"
)

func TestEvent(t *testing.T) {
	r := &Request{Method: "POST", RawPath: "/orders/a%2Fb", RawQuery: "q=1&q=2&x=a+b", Host: "shop.example.com:8080",
		Protocol: "HTTP/1.1", SourceIP: "192.0.2.1",
		Header: []Field{{"Cookie", "a=1; b=2"}, {"Cookie", "c=3"}, {"Accept", "text/html"}, {"accept", "application/json"},
			{"Connection", "keep-alive"}, {"Transfer-Encoding", "chunked"}, {"Content-Type", "text/plain; charset=utf-8"}},
		Body: []byte("héllo")}
	b, err := Event(r, "id-1", time.Unix(1700000000, 0))
	if err != nil {
		t.Fatal(err)
	}
	var ev event
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ev.Cookies, []string{"a=1", "b=2", "c=3"}) {
		t.Errorf("cookies %q", ev.Cookies)
	}
	if ev.Headers["accept"] != "text/html,application/json" || ev.Headers["connection"] != "" || ev.Headers["transfer-encoding"] != "" || ev.Headers["host"] != "shop.example.com:8080" {
		t.Errorf("headers %v", ev.Headers)
	}
	if ev.QueryStringParameters["q"] != "1,2" || ev.QueryStringParameters["x"] != "a b" {
		t.Errorf("query parameters %v", ev.QueryStringParameters)
	}
	if ev.RequestContext.HTTP.Path != "/orders/a/b" || ev.RawPath != "/orders/a%2Fb" || ev.RequestContext.DomainName != "shop.example.com" || ev.RequestContext.DomainPrefix != "shop" {
		t.Errorf("path %q raw %q domain %q prefix %q", ev.RequestContext.HTTP.Path, ev.RawPath, ev.RequestContext.DomainName, ev.RequestContext.DomainPrefix)
	}
	if ev.IsBase64Encoded || ev.Body != "héllo" || ev.RequestContext.TimeEpoch != 1700000000000 {
		t.Errorf("body %q base64 %v epoch %d", ev.Body, ev.IsBase64Encoded, ev.RequestContext.TimeEpoch)
	}
	for _, tc := range []struct {
		ctype, enc string
		body       []byte
		text       bool
	}{
		{"application/json", "", []byte(`{}`), true},
		{"application/vnd.api+json", "", []byte(`{}`), true},
		{"", "", []byte("plain"), true},
		{"text/plain", "gzip", []byte("x"), false},
		{"text/plain", "", []byte{0xff, 0xfe}, false},
		{"image/png", "", []byte("x"), false},
		{"text/plain; charset", "", []byte("x"), false},
	} {
		if got := isText(tc.ctype, tc.enc, tc.body); got != tc.text {
			t.Errorf("isText(%q, %q, %q) = %v", tc.ctype, tc.enc, tc.body, got)
		}
	}
}

func TestDecodeResponse(t *testing.T) {
	resp, err := decodeResponse([]byte(`{"statusCode":201,"headers":{"x-a":"1","x-m":"h"},"multiValueHeaders":{"X-M":["m1","m2"]},
		"cookies":["s=1","t=2"],"body":"` + base64.StdEncoding.EncodeToString([]byte{0, 1, 2}) + `","isBase64Encoded":true}`))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 201 || resp.Header.Get("X-A") != "1" || !slices.Equal(resp.Header["X-M"], []string{"m1", "m2"}) ||
		!slices.Equal(resp.Header["Set-Cookie"], []string{"s=1", "t=2"}) || string(resp.Body) != "\x00\x01\x02" {
		t.Errorf("decoded %+v", resp)
	}
	for _, bad := range []string{
		`{"statusCode":700}`,
		`{"statusCode":200,"headers":{"x":"a\r\nInjected: 1"}}`,
		`{"statusCode":200,"headers":{"bad name":"a"}}`,
		`{"statusCode":200,"cookies":["a=1\nb"]}`,
		`{"statusCode":200,"body":"***","isBase64Encoded":true}`,
	} {
		if _, err := decodeResponse([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
	resp, err = decodeResponse([]byte(`"just a string"`))
	if err != nil || resp.Status != 200 || string(resp.Body) != `"just a string"` || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("inferred response: %+v %v", resp, err)
	}
	resp, _ = decodeResponse([]byte(`{"statusCode":200,"headers":{"Content-Length":"99","Connection":"close"},"body":"ok"}`))
	if resp.Header.Get("Content-Length") != "" || resp.Header.Get("Connection") != "" {
		t.Errorf("hop-by-hop headers of the function kept: %v", resp.Header)
	}
}

// FuzzDecodeResponse: a function's payload is outside input; it never panics, and what it
// accepts has a valid status and no header a response could be split with.
func FuzzDecodeResponse(f *testing.F) {
	f.Add([]byte(`{"statusCode":200,"headers":{"a":"b"},"cookies":["c=d"],"body":"x"}`))
	f.Add([]byte(`{"statusCode":302,"multiValueHeaders":{"Location":["/x"]},"body":"eA==","isBase64Encoded":true}`))
	f.Add([]byte(`[1,2]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		resp, err := decodeResponse(b)
		if err != nil {
			return
		}
		if resp.Status < 100 || resp.Status > 599 {
			t.Fatalf("status %d", resp.Status)
		}
		for k, vs := range resp.Header {
			if !validHeader(k, vs...) {
				t.Fatalf("header %q: %q", k, vs)
			}
		}
	})
}

// benchFunction is a Function whose Invoke API is a loopback server answering 1 KiB.
func benchFunction(b *testing.B) *Function {
	payload, _ := json.Marshal(proxyResponse{StatusCode: 200, Headers: map[string]string{"Content-Type": "text/plain"}, Body: strings.Repeat("x", 1024)})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Write(payload)
	}))
	b.Cleanup(srv.Close)
	c := config.Lambda{Function: "orders-fn", Region: "us-east-1", Endpoint: srv.URL}
	client, err := NewClient(context.Background(), c, config.Transport{MaxIdleConnsPerHost: 16})
	if err != nil {
		b.Fatal(err)
	}
	return New(client, c, nil)
}

var benchRequest = &Request{Method: "GET", RawPath: "/orders/7", RawQuery: "expand=items", Host: "shop.example.com",
	Protocol: "HTTP/1.1", SourceIP: "127.0.0.1", Header: []Field{{"User-Agent", "bench"}, {"Accept", "*/*"},
		{"X-Forwarded-For", "127.0.0.1"}, {"X-Forwarded-Host", "shop.example.com"}, {"X-Forwarded-Proto", "http"}}}

// BenchmarkInvoke is the proxy's cost of one Lambda request: event, SDK Invoke over loopback,
// response decoding. BenchmarkEventAndDecode is the part that is carve's own.
func BenchmarkInvoke(b *testing.B) {
	f := benchFunction(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		resp, err := f.Invoke(ctx, benchRequest)
		if err != nil || resp.Status != 200 {
			b.Fatal(resp, err)
		}
	}
}

func BenchmarkEventAndDecode(b *testing.B) {
	payload, _ := json.Marshal(proxyResponse{StatusCode: 200, Headers: map[string]string{"Content-Type": "text/plain"}, Body: strings.Repeat("x", 1024)})
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Event(benchRequest, "id", now); err != nil {
			b.Fatal(err)
		}
		if _, err := decodeResponse(payload); err != nil {
			b.Fatal(err)
		}
	}
}

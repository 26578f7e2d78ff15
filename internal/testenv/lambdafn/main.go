// Command lambdafn is the AWS Lambda function carve's proxy tests invoke: a Go handler of API
// Gateway HTTP API (payload 2.0) events built with aws-lambda-go, run under the Lambda Runtime
// Interface Emulator (internal/testenv). What it answers depends on the path (after a /fn,
// /split, /fragile or /slow prefix, the routes the tests send here):
//
//	/echo...          200, the event it received as JSON (what the proxy sent)
//	/status/N         status N
//	/cookies          two cookies and a multi-value header
//	/binary           bytes 0..255, base64-encoded
//	/big?n=N          a body of N bytes
//	/fail             a function error
//	/plain            a bare JSON value (not a proxy response)
//	/bad              a proxy response with a malformed base64 body
//	/whoami           "lambda" (for splits)
//	/sleep?ms=N       200 after N milliseconds
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func handle(_ context.Context, ev events.APIGatewayV2HTTPRequest) (any, error) {
	path := ev.RawPath
	for _, prefix := range []string{"/fn", "/split", "/fragile", "/slow"} { // the routes the tests send here
		path = strings.TrimPrefix(path, prefix)
	}
	switch {
	case strings.HasPrefix(path, "/status/"):
		n, _ := strconv.Atoi(strings.TrimPrefix(path, "/status/"))
		return events.APIGatewayV2HTTPResponse{StatusCode: n, Headers: map[string]string{"Content-Type": "text/plain", "X-Fn": "status"}, Body: "status " + strconv.Itoa(n)}, nil
	case path == "/cookies":
		return events.APIGatewayV2HTTPResponse{StatusCode: 200, Cookies: []string{"a=1; Path=/", "b=2; HttpOnly"},
			MultiValueHeaders: map[string][]string{"X-Multi": {"one", "two"}}, Headers: map[string]string{"Content-Type": "text/plain"}, Body: "cookies"}, nil
	case path == "/binary":
		b := make([]byte, 256)
		for i := range b {
			b[i] = byte(i)
		}
		return events.APIGatewayV2HTTPResponse{StatusCode: 200, Headers: map[string]string{"Content-Type": "application/octet-stream"},
			Body: base64.StdEncoding.EncodeToString(b), IsBase64Encoded: true}, nil
	case path == "/big":
		n, _ := strconv.Atoi(ev.QueryStringParameters["n"])
		return events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: strings.Repeat("x", n)}, nil
	case path == "/fail":
		return nil, errors.New("orders table unavailable")
	case path == "/plain":
		return map[string]string{"hello": "world"}, nil
	case path == "/bad":
		return events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: "%%%", IsBase64Encoded: true}, nil
	case path == "/sleep":
		ms, _ := strconv.Atoi(ev.QueryStringParameters["ms"])
		time.Sleep(time.Duration(ms) * time.Millisecond)
		return events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: "slept"}, nil
	case path == "/whoami":
		return events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: "lambda"}, nil
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return nil, err
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: 200, Headers: map[string]string{"Content-Type": "application/json"}, Body: string(b)}, nil
}

func main() { lambda.Start(handle) }

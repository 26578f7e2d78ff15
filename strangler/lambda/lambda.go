// Package lambda makes an AWS Lambda function an HTTP upstream of the strangler proxy: each
// request becomes an API Gateway HTTP API (payload format 2.0) event, sent with the Lambda
// Invoke API, and the function's proxy response becomes the HTTP response.
//
// What a gateway answers itself is answered here the same way, with a body that says why: 413
// for a request whose event is over the 6 MB payload limit of a synchronous invoke, 502 for a
// response over it, for a function error or an answer that is not a proxy response, 503 when
// Lambda throttles the function. 502 and 503 count against the target like a failing host.
package lambda

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/carve-dev/carve/internal/awsclient"
	"github.com/carve-dev/carve/strangler/config"
)

// Payload limits of a synchronous invoke: Lambda refuses a larger request event, and answers
// a function error (Function.ResponseSizeTooLarge) instead of a larger response.
const (
	MaxPayload         = 6291456 // 6 MB
	MaxResponsePayload = 6291556
)

// API is the part of the Lambda client the invoker uses.
type API interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, opts ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// Function invokes one Lambda function for HTTP requests. It is safe for concurrent use.
type Function struct {
	api       API
	name      string
	qualifier *string
	log       *slog.Logger
	// MaxPayload bounds the request event and the response payload (default MaxPayload).
	MaxPayload int
	// Timeout bounds one invoke when the caller's context has no earlier deadline (0: none).
	Timeout time.Duration
}

// New returns the function c names, invoked through api.
func New(api API, c config.Lambda, log *slog.Logger) *Function {
	f := &Function{api: api, name: c.Function, log: log, MaxPayload: MaxPayload}
	if c.Qualifier != "" {
		f.qualifier = aws.String(c.Qualifier)
	}
	if f.log == nil {
		f.log = slog.New(slog.DiscardHandler)
	}
	return f
}

// NewClient builds a Lambda client with c's region and endpoint by internal/awsclient's rule
// (a loopback endpoint, the Runtime Interface Emulator, needs no region or credentials),
// connection settings from t, and no SDK retries: a failed invoke is the proxy's to count and
// retry, as for any target.
func NewClient(ctx context.Context, c config.Lambda, t config.Transport) (*lambda.Client, error) {
	ac, err := awsclient.Load(ctx, awsclient.Target{Region: c.Region, Endpoint: c.Endpoint, RegionKey: "lambda.region"},
		awsconfig.WithRetryer(func() aws.Retryer { return aws.NopRetryer{} }),
		awsconfig.WithHTTPClient(awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
			tr.MaxIdleConns = 0
			tr.MaxIdleConnsPerHost = t.MaxIdleConnsPerHost
			tr.MaxConnsPerHost = t.MaxConnsPerHost
			tr.IdleConnTimeout = t.IdleConnTimeout.D()
			tr.DialContext = (&net.Dialer{Timeout: t.DialTimeout.D(), KeepAlive: 30 * time.Second}).DialContext
			tr.Proxy = nil
		})),
	)
	if err != nil {
		return nil, fmt.Errorf("lambda function %s: %w", c.Function, err)
	}
	return lambda.NewFromConfig(ac), nil
}

// Name is the function's name or ARN as configured.
func (f *Function) Name() string { return f.name }

// Invoke sends r to the function and returns its response. Answers a gateway gives itself
// (payload too large, function error, throttling, a malformed response) are returned as
// responses too; an error means Lambda could not be reached or asked (timeouts included).
func (f *Function) Invoke(ctx context.Context, r *Request) (*Response, error) {
	id := newRequestID()
	payload, err := Event(r, id, time.Now())
	if err != nil {
		return nil, fmt.Errorf("encode the event for lambda function %s: %w", f.name, err)
	}
	if len(payload) > f.MaxPayload {
		return f.answer(http.StatusRequestEntityTooLarge, fmt.Sprintf("request too large for lambda function %s: its event is %d bytes, over the %d-byte payload limit of a synchronous invoke", f.name, len(payload), f.MaxPayload)), nil
	}
	if f.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.Timeout)
		defer cancel()
	}
	out, err := f.api.Invoke(ctx, &lambda.InvokeInput{FunctionName: &f.name, Qualifier: f.qualifier, Payload: payload})
	if err != nil {
		var throttled *types.TooManyRequestsException
		var ae smithy.APIError
		switch {
		case errors.As(err, &throttled) || errors.As(err, &ae) && isThrottle(ae.ErrorCode()):
			resp := f.answer(http.StatusServiceUnavailable, "lambda function "+f.name+" is throttled: retry later")
			resp.Header.Set("Retry-After", "1")
			return resp, nil
		case errors.As(err, &ae) && !errors.Is(err, context.Canceled) && !isTimeout(err):
			f.log.Warn("lambda invoke refused", "function", f.name, "code", ae.ErrorCode(), "err", ae.ErrorMessage())
			return f.answer(http.StatusBadGateway, "lambda function "+f.name+" could not be invoked ("+ae.ErrorCode()+")"), nil
		}
		return nil, fmt.Errorf("invoke lambda function %s: %w", f.name, err)
	}
	if out.FunctionError != nil {
		if typ, _ := errorType(out.Payload); typ == "Function.ResponseSizeTooLarge" {
			return f.answer(http.StatusBadGateway, fmt.Sprintf("response too large from lambda function %s: over the %d-byte payload limit of a synchronous invoke", f.name, MaxResponsePayload)), nil
		}
		f.log.Warn("lambda function error", "function", f.name, "function_error", *out.FunctionError,
			"request_id", id, "payload", string(truncate(out.Payload, 512)))
		return f.answer(http.StatusBadGateway, "lambda function "+f.name+" failed ("+*out.FunctionError+")"), nil
	}
	if len(out.Payload) > MaxResponsePayload {
		return f.answer(http.StatusBadGateway, fmt.Sprintf("response too large from lambda function %s: %d bytes, over the %d-byte payload limit of a synchronous invoke", f.name, len(out.Payload), MaxResponsePayload)), nil
	}
	resp, err := decodeResponse(out.Payload)
	if err != nil {
		f.log.Warn("lambda function answered with a bad response", "function", f.name, "err", err)
		return f.answer(http.StatusBadGateway, "lambda function "+f.name+" returned a bad response: "+err.Error()), nil
	}
	return resp, nil
}

func isThrottle(code string) bool {
	switch code {
	case "TooManyRequestsException", "ThrottlingException", "EC2ThrottledException", "ResourceConflictException":
		return true
	}
	return false
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

// answer is a response the proxy gives on the function's behalf.
func (f *Function) answer(status int, msg string) *Response {
	return &Response{Status: status, Header: http.Header{"Content-Type": {"text/plain; charset=utf-8"},
		"X-Content-Type-Options": {"nosniff"}}, Body: []byte(msg + "\n")}
}

// errorType reads the errorType of a function error payload.
func errorType(payload []byte) (string, bool) {
	var ep struct {
		Type string `json:"errorType"`
	}
	if json.Unmarshal(payload, &ep) != nil {
		return "", false
	}
	return ep.Type, ep.Type != ""
}

func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ReadBody reads a request body for an event: at most limit bytes; past that it stops and
// reports too large (the event could only be larger).
func ReadBody(r io.Reader, limit int) (body []byte, tooLarge bool, err error) {
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, false, err
	}
	if n > int64(limit) {
		return nil, true, nil
	}
	return buf.Bytes(), false, nil
}

// RoundTrip invokes the function for an HTTP request (the net/http front end's reverse
// proxy and the health checks use it as their transport).
func (f *Function) RoundTrip(req *http.Request) (*http.Response, error) {
	r := &Request{Method: req.Method, RawPath: req.URL.EscapedPath(), RawQuery: req.URL.RawQuery, Host: req.Host,
		Protocol: req.Proto, SourceIP: sourceIP(req.Header.Get("X-Forwarded-For"))}
	if r.Host == "" {
		r.Host = req.URL.Host
	}
	if r.Protocol == "" {
		r.Protocol = "HTTP/1.1"
	}
	for k, vs := range req.Header {
		for _, v := range vs {
			r.Header = append(r.Header, Field{k, v})
		}
	}
	var resp *Response
	if req.Body != nil && req.Body != http.NoBody {
		body, tooLarge, err := ReadBody(req.Body, f.MaxPayload)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		if tooLarge {
			resp = f.answer(http.StatusRequestEntityTooLarge, fmt.Sprintf("request too large for lambda function %s: its body is over the %d-byte payload limit of a synchronous invoke", f.name, f.MaxPayload))
			resp.Header.Set("Connection", "close")
		}
		r.Body = body
	}
	if resp == nil {
		var err error
		if resp, err = f.Invoke(req.Context(), r); err != nil {
			return nil, err
		}
	}
	resp.Header.Set("Content-Length", strconv.Itoa(len(resp.Body)))
	return &http.Response{Status: strconv.Itoa(resp.Status) + " " + http.StatusText(resp.Status), StatusCode: resp.Status,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: resp.Header, ContentLength: int64(len(resp.Body)),
		Body: io.NopCloser(bytes.NewReader(resp.Body)), Request: req}, nil
}

// sourceIP is the client's address: the last X-Forwarded-For entry, the one the proxy added.
func sourceIP(xff string) string {
	if i := strings.LastIndexByte(xff, ','); i >= 0 {
		xff = xff[i+1:]
	}
	return strings.TrimSpace(xff)
}

package lambda

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Request is an HTTP request as a front end hands it over: what the event is built from.
type Request struct {
	// Method, RawPath (escaped, as sent) and RawQuery (without '?') of the request line.
	Method, RawPath, RawQuery string
	// Host is the request's authority; Protocol e.g. "HTTP/1.1"; SourceIP the client's address.
	Host, Protocol, SourceIP string
	// Header holds the header fields to pass on, in the order received.
	Header []Field
	// Body is the whole request body.
	Body []byte
}

// Field is one header field.
type Field struct{ Name, Value string }

// Response is a function's answer as an HTTP response.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// event is the API Gateway HTTP API payload format 2.0, the fields a proxy can fill.
type event struct {
	Version               string            `json:"version"`
	RouteKey              string            `json:"routeKey"`
	RawPath               string            `json:"rawPath"`
	RawQueryString        string            `json:"rawQueryString"`
	Cookies               []string          `json:"cookies,omitempty"`
	Headers               map[string]string `json:"headers"`
	QueryStringParameters map[string]string `json:"queryStringParameters,omitempty"`
	RequestContext        eventContext      `json:"requestContext"`
	Body                  string            `json:"body,omitempty"`
	IsBase64Encoded       bool              `json:"isBase64Encoded"`
}

type eventContext struct {
	AccountID    string    `json:"accountId"`
	APIID        string    `json:"apiId"`
	DomainName   string    `json:"domainName"`
	DomainPrefix string    `json:"domainPrefix"`
	HTTP         eventHTTP `json:"http"`
	RequestID    string    `json:"requestId"`
	RouteKey     string    `json:"routeKey"`
	Stage        string    `json:"stage"`
	Time         string    `json:"time"`
	TimeEpoch    int64     `json:"timeEpoch"`
}

type eventHTTP struct {
	Method    string `json:"method"`
	Path      string `json:"path"`
	Protocol  string `json:"protocol"`
	SourceIP  string `json:"sourceIp"`
	UserAgent string `json:"userAgent"`
}

// proxyResponse is the function's answer in payload format 2.0.
type proxyResponse struct {
	StatusCode        int                 `json:"statusCode"`
	Headers           map[string]string   `json:"headers"`
	MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
	Body              string              `json:"body"`
	IsBase64Encoded   bool                `json:"isBase64Encoded"`
	Cookies           []string            `json:"cookies"`
}

// Event encodes r as a payload 2.0 event, as API Gateway would: header names in lower case,
// repeated headers joined with commas, the Cookie header as the cookies list, query
// parameters decoded (repeated ones joined with commas), and a body that is not UTF-8 text
// base64-encoded.
func Event(r *Request, requestID string, now time.Time) ([]byte, error) {
	ev := event{Version: "2.0", RouteKey: "$default", RawPath: r.RawPath, RawQueryString: r.RawQuery,
		Headers: make(map[string]string, len(r.Header))}
	for _, f := range r.Header {
		name := strings.ToLower(f.Name)
		if hopHeader(name) {
			continue
		}
		if name == "cookie" {
			for c := range strings.SplitSeq(f.Value, ";") {
				if c = strings.TrimSpace(c); c != "" {
					ev.Cookies = append(ev.Cookies, c)
				}
			}
			continue
		}
		if prev, ok := ev.Headers[name]; ok {
			ev.Headers[name] = prev + "," + f.Value
		} else {
			ev.Headers[name] = f.Value
		}
	}
	if r.Host != "" {
		ev.Headers["host"] = r.Host
	}
	if r.RawQuery != "" {
		ev.QueryStringParameters = queryParameters(r.RawQuery)
	}
	host := r.Host
	if h, _, ok := strings.Cut(host, ":"); ok && !strings.HasPrefix(host, "[") {
		host = h
	}
	prefix, _, _ := strings.Cut(host, ".")
	ev.RequestContext = eventContext{AccountID: "anonymous", APIID: "carve", DomainName: host, DomainPrefix: prefix,
		HTTP: eventHTTP{Method: r.Method, Path: decodedPath(r.RawPath), Protocol: r.Protocol, SourceIP: r.SourceIP,
			UserAgent: ev.Headers["user-agent"]},
		RequestID: requestID, RouteKey: "$default", Stage: "$default",
		Time: now.UTC().Format("02/Jan/2006:15:04:05 -0700"), TimeEpoch: now.UnixMilli()}
	if len(r.Body) > 0 {
		if isText(ev.Headers["content-type"], ev.Headers["content-encoding"], r.Body) {
			ev.Body = string(r.Body)
		} else {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(r.Body), true
		}
	}
	return json.Marshal(&ev)
}

// isText reports whether a body of this content type goes into the event as text: textual
// media types that are valid UTF-8 and not compressed. Everything else is base64.
func isText(contentType, encoding string, body []byte) bool {
	if encoding != "" && !strings.EqualFold(encoding, "identity") {
		return false
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if contentType != "" && err != nil {
		return false
	}
	switch {
	case contentType == "":
	case strings.HasPrefix(mt, "text/"), strings.HasSuffix(mt, "+json"), strings.HasSuffix(mt, "+xml"):
	case mt == "application/json", mt == "application/xml", mt == "application/javascript",
		mt == "application/x-www-form-urlencoded", mt == "application/graphql":
	default:
		return false
	}
	return utf8.Valid(body)
}

func decodedPath(raw string) string {
	if !strings.Contains(raw, "%") {
		return raw
	}
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		if raw[i] == '%' && i+2 < len(raw) {
			if v, err := strconv.ParseUint(raw[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(v))
				i += 2
				continue
			}
		}
		b.WriteByte(raw[i])
	}
	return b.String()
}

func queryParameters(raw string) map[string]string {
	out := map[string]string{}
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		k, v = unescapeQuery(k), unescapeQuery(v)
		if prev, ok := out[k]; ok {
			out[k] = prev + "," + v
		} else {
			out[k] = v
		}
	}
	return out
}

func unescapeQuery(s string) string {
	return decodedPath(strings.ReplaceAll(s, "+", " "))
}

// errBadResponse is a function answer that is not a usable proxy response.
type errBadResponse struct{ why string }

func (e errBadResponse) Error() string {
	return "the function's response is not a valid proxy response: " + e.why
}

// decodeResponse turns a function's payload into an HTTP response. A JSON object with a
// statusCode is a proxy response; any other payload is, as API Gateway infers, a 200 JSON body.
func decodeResponse(payload []byte) (*Response, error) {
	var pr proxyResponse
	trimmed := bytes.TrimSpace(payload)
	if len(trimmed) == 0 || trimmed[0] != '{' || json.Unmarshal(trimmed, &pr) != nil || pr.StatusCode == 0 {
		h := http.Header{"Content-Type": {"application/json"}}
		return &Response{Status: http.StatusOK, Header: h, Body: payload}, nil
	}
	if pr.StatusCode < 100 || pr.StatusCode > 599 {
		return nil, errBadResponse{fmt.Sprintf("statusCode %d", pr.StatusCode)}
	}
	resp := &Response{Status: pr.StatusCode, Header: make(http.Header, len(pr.Headers)+len(pr.MultiValueHeaders)+1)}
	for k, vs := range pr.MultiValueHeaders {
		if !validHeader(k, vs...) {
			return nil, errBadResponse{fmt.Sprintf("bad header %q", k)}
		}
		k = textproto.CanonicalMIMEHeaderKey(k)
		resp.Header[k] = append(resp.Header[k], vs...)
	}
	for k, v := range pr.Headers {
		if !validHeader(k, v) {
			return nil, errBadResponse{fmt.Sprintf("bad header %q", k)}
		}
		k = textproto.CanonicalMIMEHeaderKey(k)
		if _, ok := pr.MultiValueHeaders[k]; !ok { // multiValueHeaders win, as in API Gateway
			resp.Header[k] = []string{v}
		}
	}
	for _, c := range pr.Cookies {
		if !validHeader("Set-Cookie", c) {
			return nil, errBadResponse{"bad cookie"}
		}
		resp.Header["Set-Cookie"] = append(resp.Header["Set-Cookie"], c)
	}
	for _, h := range hopHeaders {
		delete(resp.Header, h)
	}
	if pr.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(pr.Body)
		if err != nil {
			return nil, errBadResponse{"isBase64Encoded is set but the body is not base64"}
		}
		resp.Body = b
	} else {
		resp.Body = []byte(pr.Body)
	}
	return resp, nil
}

// hopHeaders are the proxy's to set, never the function's.
var hopHeaders = [...]string{"Connection", "Keep-Alive", "Transfer-Encoding", "Content-Length", "Upgrade", "Trailer", "Te", "Proxy-Connection"}

// hopHeader reports whether a lower-case request header name is hop-by-hop (or framing):
// not part of the event.
func hopHeader(name string) bool {
	switch name {
	case "connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection", "proxy-authorization":
		return true
	}
	return false
}

func validHeader(name string, vals ...string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c <= ' ' || c >= 0x7f || c == ':' {
			return false
		}
	}
	for _, v := range vals {
		if strings.ContainsAny(v, "\r\n\x00") {
			return false
		}
	}
	return true
}

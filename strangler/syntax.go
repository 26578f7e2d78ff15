package strangler

import (
	"bytes"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/carve-dev/carve/strangler/config"
)

// Request syntax the proxy refuses before routing, the same on both front ends. The parsers
// under them (fasthttp's and net/http's) accept things a target behind the proxy may read
// differently; the rules follow nginx's (the reference in front of most monoliths), and are
// checked by TestConformance on raw bytes.

// refusal is a request the proxy answers itself: status and a message that does not quote
// the request.
type refusal struct {
	status int
	msg    string
}

var (
	refuseMethod   = refusal{http.StatusBadRequest, "bad request: the method must be upper-case letters, '-' or '_'"}
	refusePath     = refusal{http.StatusBadRequest, "bad request: ambiguous path (encoded / or \\, \\, dot segment, NUL or bad %-encoding)"}
	refuseConnect  = refusal{http.StatusMethodNotAllowed, "method not allowed: CONNECT is not proxied"}
	refuseVersion  = refusal{http.StatusHTTPVersionNotSupported, "HTTP version not supported: use HTTP/1.1 or HTTP/1.0"}
	refuseNoHost   = refusal{http.StatusBadRequest, "bad request: missing Host header"}
	refuseBadHost  = refusal{http.StatusBadRequest, "bad request: invalid Host header"}
	refuseFold     = refusal{http.StatusBadRequest, "bad request: folded header line (obs-fold)"}
	refuseName     = refusal{http.StatusBadRequest, "bad request: invalid header name"}
	refuseValue    = refusal{http.StatusBadRequest, "bad request: control character in a header value"}
	refuseTE       = refusal{http.StatusNotImplemented, "not implemented: the only Transfer-Encoding accepted is chunked"}
	refuseTE10     = refusal{http.StatusBadRequest, "bad request: Transfer-Encoding in an HTTP/1.0 request"}
	refuseCLAndTE  = refusal{http.StatusBadRequest, "bad request: both Content-Length and Transfer-Encoding"}
	refuseBodyRead = refusal{http.StatusBadRequest, "bad request: malformed or incomplete request body"}
	refuseTooLarge = refusal{http.StatusRequestEntityTooLarge, "request body too large"}
	refuseSlowBody = refusal{http.StatusRequestTimeout, "request timeout: the body was too slow"}
)

// checkRequestLine checks an HTTP/1.x request line's method and version. nginx answers 400
// to a method that is not upper case, and carve will not guess how a target reads a version
// it has never seen.
func checkRequestLine(method, proto string) *refusal {
	if ref := checkMethod(method); ref != nil {
		return ref
	}
	if proto != "HTTP/1.1" && proto != "HTTP/1.0" {
		return &refuseVersion
	}
	return nil
}

// checkMethod checks a method (HTTP/2 requests have no version to check). CONNECT is not
// proxied: carve is a reverse proxy, not a tunnel to anywhere.
func checkMethod(method string) *refusal {
	if method == "" {
		return &refuseMethod
	}
	if method == http.MethodConnect {
		return &refuseConnect
	}
	for i := 0; i < len(method); i++ {
		if c := method[i]; (c < 'A' || c > 'Z') && c != '-' && c != '_' {
			return &refuseMethod
		}
	}
	return nil
}

// checkHost requires a Host (HTTP/1.0 included: the target needs one, and carve will not
// invent it) made of the characters a host and port may have (RFC 3986 reg-name, IP literal).
func checkHost(host string) *refusal {
	if host == "" {
		return &refuseNoHost
	}
	for i := 0; i < len(host); i++ {
		if !hostByte[host[i]] {
			return &refuseBadHost
		}
	}
	return nil
}

var hostByte = func() (t [256]bool) {
	for _, c := range []byte("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:[]%") {
		t[c] = true
	}
	return t
}()

// tcharTable marks the bytes of an RFC 9110 token (header names, methods).
var tcharTable = func() (t [256]bool) {
	for _, c := range []byte("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
		t[c] = true
	}
	return t
}()

// scanRawHeaders checks a request's header block as the client sent it (fasthttp tolerates
// folded lines, spaces in names and a Transfer-Encoding of identity). It calls drop for each
// header name with an underscore — nginx drops those silently (underscores_in_headers off),
// since a target may read X_User as X-User — and returns the first problem. Lines may end in
// a bare LF, as nginx and net/http accept; what the target gets is re-framed with CRLF.
// It also reports whether a header the proxy strips or replaces (isStripped) is present, so
// that a request without any is not searched for each.
func scanRawHeaders(raw []byte, drop func(name []byte)) (stripped bool, ref *refusal) {
	var te, cl bool
	for len(raw) > 0 {
		var line []byte
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line, raw = raw[:i], raw[i+1:]
		} else {
			line, raw = raw, nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			return false, &refuseFold
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			return false, &refuseName
		}
		name, value := line[:colon], line[colon+1:]
		underscore := false
		for _, c := range name {
			if !tcharTable[c] {
				return false, &refuseName
			}
			underscore = underscore || c == '_'
		}
		for _, c := range value {
			if c < ' ' && c != '\t' || c == 0x7f {
				return false, &refuseValue
			}
		}
		switch {
		case underscore:
			drop(name)
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			if te || !bytes.EqualFold(bytes.Trim(value, " \t"), []byte("chunked")) {
				return false, &refuseTE
			}
			te = true
		case bytes.EqualFold(name, []byte("Content-Length")):
			cl = true
		case !stripped:
			stripped = isStripped(name)
		}
	}
	if te && cl {
		return false, &refuseCLAndTE
	}
	return stripped, nil
}

// strippedHeaders are the headers a request never takes upstream as the client sent them:
// hop-by-hop ones other than Connection (always handled), and forwarding ones.
var strippedHeaders = append(append(append([]string(nil), hopHeaders[1:]...), "Forwarded"), forwardedHeaders[:]...)

// strippedLen marks the lengths of strippedHeaders, to rule most names out at once.
var strippedLen = func() (t [32]bool) {
	for _, n := range strippedHeaders {
		t[len(n)] = true
	}
	return t
}()

func isStripped(name []byte) bool {
	if len(name) >= len(strippedLen) || !strippedLen[len(name)] {
		return false
	}
	for _, n := range strippedHeaders {
		if len(n) == len(name) && bytes.EqualFold(name, []byte(n)) {
			return true
		}
	}
	return false
}

// routePath routes a request's path as sent (escaped, no query) under the path policies
// (path_policy: the route's, else the server's) and returns the route, the path to route on
// (decoded) and the path to forward (escaped), or a refusal. match gives the index of the
// route a decoded path matches, or -1 for the default route. Both front ends route with it,
// so they decide alike.
//
// A path with no '%', '\\' or dot segment is matched as is, without allocating. Any other path
// is matched on its decoded form, and that route's policy decides: raw forwards the path as
// sent; reject refuses an ambiguous path; normalize matches again on the cleaned path and
// forwards that path. An ambiguous path is also refused when its cleaned form lands on a
// route that rejects, so no route's laxer policy opens a path into a stricter route.
func (rt *runtime) routePath(raw string, match func(path string) int) (lr *liveRoute, routeOn, forward string, ref *refusal) {
	if !strings.ContainsAny(raw, "%\\") && !hasDotSegment(raw) {
		return rt.at(match(raw)), raw, raw, nil
	}
	decoded, err := url.PathUnescape(raw)
	if err != nil {
		decoded = raw
	}
	lr = rt.at(match(decoded))
	if err != nil || strings.IndexByte(decoded, 0) >= 0 {
		if lr.pathPolicy == config.PathRaw {
			return lr, decoded, raw, nil
		}
		return nil, "", "", &refusePath
	}
	lower := strings.ToLower(raw)
	ambiguous := strings.Contains(lower, "%2f") || strings.Contains(lower, "%5c") || strings.IndexByte(raw, '\\') >= 0 || hasDotSegment(decoded)
	cleaned := path.Clean("/" + decoded)
	if strings.HasSuffix(decoded, "/") && cleaned != "/" {
		cleaned += "/"
	}
	to := lr
	if cleaned != decoded {
		to = rt.at(match(cleaned))
	}
	if ambiguous && (lr.pathPolicy == config.PathReject || to.pathPolicy == config.PathReject) {
		return nil, "", "", &refusePath
	}
	if lr.pathPolicy == config.PathNormalize {
		return to, cleaned, (&url.URL{Path: cleaned}).EscapedPath(), nil
	}
	return lr, decoded, raw, nil
}

// hasDotSegment reports whether p has a "." or ".." segment.
func hasDotSegment(p string) bool {
	if !strings.Contains(p, "/.") && !strings.HasPrefix(p, ".") {
		return false
	}
	for p != "" {
		var seg string
		seg, p, _ = strings.Cut(p, "/")
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

// Package config is the strangler proxy's configuration: the YAML document an operator writes,
// decoded strictly (unknown keys are errors) and validated as a whole, with every error naming
// the file and line it is about.
package config

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/carve-dev/carve/internal/yamlcfg"
	"github.com/carve-dev/carve/strangler/route"
)

// Config is a whole proxy configuration, one YAML document.
type Config struct {
	// Listen is the address the proxy serves traffic on, e.g. ":8080".
	Listen string `yaml:"listen"`
	// TLS, when set, makes Listen a TLS listener that also speaks HTTP/2.
	TLS *TLS `yaml:"tls"`
	// Server bounds what a client may do: timeouts against slow clients, header and body sizes.
	Server Server `yaml:"server"`
	// TrustedProxies lists the CIDRs whose inbound X-Forwarded-For/-Proto/-Host headers are
	// kept (and appended to); from every other peer they are replaced by what the proxy sees.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// Admin is the admin API, metrics and health endpoints, on their own listener.
	Admin Admin `yaml:"admin"`
	// AccessLog configures the JSON access log (one line per request, on stderr).
	AccessLog AccessLog `yaml:"access_log"`
	// Shutdown configures the drain on SIGTERM.
	Shutdown Shutdown `yaml:"shutdown"`
	// Transport tunes the connections to upstreams.
	Transport Transport `yaml:"transport"`
	// Upstreams are the named pools of targets that routes split traffic among.
	Upstreams map[string]*Upstream `yaml:"upstreams"`
	// Routes are matched against every request; the most specific matching pattern wins.
	Routes []*Route `yaml:"routes"`
	// Default is the upstream for requests no route matches (usually the monolith).
	Default string `yaml:"default"`
	// Store, when set, shares route weights among several proxy replicas (fleet mode).
	Store *Store `yaml:"store"`

	// File is the path the config was read from, for messages; not part of the YAML.
	File string `yaml:"-"`
	// Sum is the SHA-256 of the bytes parsed, so a file watcher can tell a real change.
	Sum [32]byte `yaml:"-"`
	// doc is the file's line index and problems, while it is loaded.
	doc *yamlcfg.Doc
}

// TLS is a certificate and key for the traffic listener.
type TLS struct {
	// CertFile is a PEM certificate chain.
	CertFile string `yaml:"cert_file"`
	// KeyFile is the PEM private key of CertFile.
	KeyFile string `yaml:"key_file"`
}

// Server holds the limits of the traffic listener.
type Server struct {
	// ReadHeaderTimeout bounds reading a request's headers (default 10s): slowloris defence.
	ReadHeaderTimeout Duration `yaml:"read_header_timeout"`
	// ReadTimeout bounds reading a whole request including its body (default 0: none, so
	// long uploads stream).
	ReadTimeout Duration `yaml:"read_timeout"`
	// WriteTimeout bounds writing a response (default 0: none, so SSE and downloads stream).
	WriteTimeout Duration `yaml:"write_timeout"`
	// IdleTimeout closes keep-alive connections idle this long (default 120s).
	IdleTimeout Duration `yaml:"idle_timeout"`
	// MaxHeaderBytes bounds the request line and headers (default 65536).
	MaxHeaderBytes int `yaml:"max_header_bytes"`
	// MaxBodyBytes bounds request bodies for every route (default 0: unlimited); a route may
	// set its own. Larger bodies get 413.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// BodyTimeout bounds the wait between two reads of a request body (default 60s, nginx's
	// client_body_timeout); then 408, and the target is not blamed.
	BodyTimeout Duration `yaml:"body_timeout"`
	// BodyMinRate is the slowest a request body may arrive, in bytes per second averaged over
	// the body so far, enforced once it has been arriving for BodyRateGrace (default 1024; -1
	// turns it off). It keeps trickled uploads from holding upstream connections.
	BodyMinRate int64 `yaml:"body_min_rate"`
	// PathPolicy says what the proxy does with ambiguous request paths (encoded / or \, \,
	// dot segments, NUL, bad percent-encoding): "reject" them with 400 (default), "normalize"
	// them (route on and forward the cleaned path), or pass them "raw" (route on the decoded
	// path, forward what the client sent; unsafe behind path-based access rules, as the
	// target may resolve the path to another route's). A route may set its own.
	PathPolicy string `yaml:"path_policy"`
}

// Path policies (server.path_policy).
const (
	PathReject    = "reject"
	PathNormalize = "normalize"
	PathRaw       = "raw"
)

// BodyRateGrace is how long a request body may arrive before server.body_min_rate applies.
const BodyRateGrace = 10 * time.Second

// Admin is the admin listener.
type Admin struct {
	// Listen is the admin address (default "127.0.0.1:9901"). A non-loopback address needs
	// TokenEnv.
	Listen string `yaml:"listen"`
	// TokenEnv names the environment variable holding the bearer token every admin request
	// (except /healthz and /readyz) must carry.
	TokenEnv string `yaml:"token_env"`
}

// AccessLog configures request logging.
type AccessLog struct {
	// Sample is the fraction of requests logged, 0 to 1 (default 1). 0 turns the log off.
	Sample *float64 `yaml:"sample"`
}

// Shutdown configures the drain.
type Shutdown struct {
	// Delay keeps serving after /readyz starts failing, so load balancers notice (default 0s).
	Delay Duration `yaml:"delay"`
	// Timeout bounds the wait for in-flight requests (default 30s); then connections are closed.
	Timeout Duration `yaml:"timeout"`
}

// Transport tunes upstream connections.
type Transport struct {
	// DialTimeout bounds connecting to a target (default 5s).
	DialTimeout Duration `yaml:"dial_timeout"`
	// ResponseHeaderTimeout bounds waiting for a target's response headers (default 60s).
	ResponseHeaderTimeout Duration `yaml:"response_header_timeout"`
	// IdleConnTimeout closes idle upstream connections (default 90s).
	IdleConnTimeout Duration `yaml:"idle_conn_timeout"`
	// MaxIdleConnsPerHost is the keep-alive pool per target (default 1024).
	MaxIdleConnsPerHost int `yaml:"max_idle_conns_per_host"`
	// MaxConnsPerHost caps connections per target (default 0: no cap).
	MaxConnsPerHost int `yaml:"max_conns_per_host"`
}

// Upstream is a pool of targets serving one side of a split. Its targets come from exactly
// one of Targets, Lambda or Etcd.
type Upstream struct {
	// Targets are base URLs, e.g. "http://127.0.0.1:9000". With DNS, each target's host is
	// resolved and every address becomes a target.
	Targets []string `yaml:"targets"`
	// Lambda makes the upstream one AWS Lambda function, invoked for each request with an API
	// Gateway HTTP API (payload 2.0) event.
	Lambda *Lambda `yaml:"lambda"`
	// Etcd reads the targets from an etcd prefix and follows its changes.
	Etcd *Etcd `yaml:"etcd"`
	// Balance picks a target: "round_robin" (default) or "least_requests".
	Balance string `yaml:"balance"`
	// DNS re-resolves the targets' host names on an interval.
	DNS *DNS `yaml:"dns"`
	// Health is the active health check; without it targets are only ejected passively.
	Health *Health `yaml:"health"`
	// Passive ejects a target after consecutive failures and lets it back after a while.
	Passive Passive `yaml:"passive"`
	// HostHeader is the Host sent upstream: "" keeps the client's, "target" uses the target's
	// host, any other value is sent as is.
	HostHeader string `yaml:"host_header"`
}

// Lambda is an AWS Lambda function serving as an upstream.
type Lambda struct {
	// Function is the function's name or ARN, e.g. "orders-fn".
	Function string `yaml:"function"`
	// Qualifier is a version or alias to invoke (default: $LATEST, or the one in the ARN).
	Qualifier string `yaml:"qualifier"`
	// Region overrides the AWS region of the environment.
	Region string `yaml:"region"`
	// Endpoint overrides the Lambda endpoint (e.g. a local emulator).
	Endpoint string `yaml:"endpoint"`
}

// Etcd is service discovery from an etcd prefix: every key under Prefix holds one target URL.
type Etcd struct {
	// Endpoints are the etcd client URLs, e.g. ["http://127.0.0.1:2379"].
	Endpoints []string `yaml:"endpoints"`
	// Prefix is the key prefix of the service's instances, e.g. "/services/orders/".
	Prefix string `yaml:"prefix"`
	// DialTimeout bounds connecting to etcd (default 5s).
	DialTimeout Duration `yaml:"dial_timeout"`
}

// DNS discovery of targets.
type DNS struct {
	// Interval between resolutions (default 30s).
	Interval Duration `yaml:"interval"`
	// Network is "ip4", "ip6" or "ip" (default "ip").
	Network string `yaml:"network"`
}

// Health is an active HTTP health check.
type Health struct {
	// Path is requested on each target with GET, e.g. "/healthz".
	Path string `yaml:"path"`
	// Interval between checks (default 5s).
	Interval Duration `yaml:"interval"`
	// Timeout of one check (default 2s).
	Timeout Duration `yaml:"timeout"`
	// Healthy is the consecutive passes that bring a target back (default 2).
	Healthy int `yaml:"healthy"`
	// Unhealthy is the consecutive failures that take a target out (default 3).
	Unhealthy int `yaml:"unhealthy"`
}

// Passive ejection from live traffic.
type Passive struct {
	// Failures is the consecutive connection failures or 502/503/504 responses that eject a
	// target (default 5; -1 disables passive ejection).
	Failures int `yaml:"failures"`
	// Eject is how long an ejected target sits out before it is tried again (default 10s).
	Eject Duration `yaml:"eject"`
}

// Route sends the requests it matches to upstreams by weight.
type Route struct {
	// Name identifies the route in the admin API, metrics and logs; unique.
	Name string `yaml:"name"`
	// Match says which requests the route takes.
	Match Match `yaml:"match"`
	// Split maps upstream names to integer weights (≥ 0, at least one > 0).
	Split map[string]int `yaml:"split"`
	// Sticky keeps a user on one side of the split.
	Sticky *Sticky `yaml:"sticky"`
	// Timeout bounds a whole proxied request on this route (default 0: the transport's).
	Timeout Duration `yaml:"timeout"`
	// Retries is how many other targets an idempotent request without a body is tried on
	// after a connection failure — refused, reset or closed before a response, not a
	// timeout (default 1; 0 disables).
	Retries *int `yaml:"retries"`
	// MaxBodyBytes overrides server.max_body_bytes for this route.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// PathPolicy overrides server.path_policy for the ambiguous paths this route takes
	// (default "": the server's). An ambiguous path is refused when either the route it names
	// or the route it resolves to rejects, so a laxer route never opens a stricter one.
	PathPolicy string `yaml:"path_policy"`
	// ReadYourWrites keeps a user who wrote on one side of the split there after a weight
	// change, until the sync feeding the side the split now picks has applied the write.
	ReadYourWrites *ReadYourWrites `yaml:"read_your_writes"`
	// Shadow sends a sampled copy of the route's requests to a candidate upstream after the
	// primary answered, and compares the answers (shadow.go).
	Shadow *Shadow `yaml:"shadow"`
	// Rollout raises the candidate's weight step by step while gates hold (rollout.go).
	Rollout *Rollout `yaml:"rollout"`
}

// ReadYourWrites is a route's read-your-writes guard (docs/strangler.md).
type ReadYourWrites struct {
	// Cookie names the signed cookie recording the side and time of the last write (default
	// carve_ryw).
	Cookie string `yaml:"cookie"`
	// SecretEnv names the environment variable holding the cookie's signing key (at least 16
	// bytes; every replica of a fleet needs the same). Required.
	SecretEnv string `yaml:"secret_env"`
	// MaxWait is the longest a user is held on the side of the last write (default 5s); past
	// it the user moves and the move is counted.
	MaxWait Duration `yaml:"max_wait"`
	// Watermarks maps an upstream of the split to the watermark endpoint of the sync job that
	// feeds it (carve sync's metrics listener, /watermark). Writes are guarded only toward
	// the upstreams named here.
	Watermarks map[string]string `yaml:"watermarks"`
}

// Match is what a route matches.
type Match struct {
	// Paths are net/http.ServeMux patterns: "[METHOD ][HOST]/PATH", with {name}, {name...},
	// {$} and trailing-slash prefixes.
	Paths []string `yaml:"paths"`
	// Hosts, when set, restrict every pattern without its own host to these hosts.
	Hosts []string `yaml:"hosts"`
	// Headers must all be present with exactly these values.
	Headers map[string]string `yaml:"headers"`
}

// Sticky says where a route's stickiness key comes from: exactly one field.
type Sticky struct {
	// Cookie names a cookie holding the key; the proxy sets it with a random key when absent.
	Cookie string `yaml:"cookie"`
	// CookieTTL is the cookie's Max-Age (default 0: a session cookie).
	CookieTTL Duration `yaml:"cookie_ttl"`
	// Header names a request header holding the key (e.g. X-User-ID).
	Header string `yaml:"header"`
	// Query names a query parameter holding the key.
	Query string `yaml:"query"`
}

// Store shares weights among replicas: exactly one of DynamoDB and Etcd.
type Store struct {
	// DynamoDB keeps the weights in a DynamoDB table.
	DynamoDB *DynamoDB `yaml:"dynamodb"`
	// Etcd keeps the weights under a key prefix of an etcd cluster.
	Etcd *EtcdStore `yaml:"etcd"`
}

// PollInterval is how often a replica reads the store.
func (s *Store) PollInterval() time.Duration {
	if s.Etcd != nil {
		return s.Etcd.Poll.D()
	}
	return s.DynamoDB.Poll.D()
}

// EtcdStore is an etcd key prefix of route weights shared by a fleet: one key per route,
// "<key>/<route>".
type EtcdStore struct {
	// Endpoints are the etcd client URLs, e.g. ["http://127.0.0.1:2379"].
	Endpoints []string `yaml:"endpoints"`
	// Key is the prefix the routes' weights are kept under, e.g. "/carve/weights".
	Key string `yaml:"key"`
	// Poll is how often a replica reads the weights besides watching them (default 1s).
	Poll Duration `yaml:"poll"`
	// DialTimeout bounds connecting to etcd (default 5s).
	DialTimeout Duration `yaml:"dial_timeout"`
}

// DynamoDB is a table of route weights shared by a fleet.
type DynamoDB struct {
	// Table name; its partition key is the string attribute "route".
	Table string `yaml:"table"`
	// Endpoint overrides the AWS endpoint (e.g. DynamoDB Local).
	Endpoint string `yaml:"endpoint"`
	// Region overrides the AWS region of the environment.
	Region string `yaml:"region"`
	// Poll is how often a replica reads the table (default 2s).
	Poll Duration `yaml:"poll"`
}

// Duration is a duration written as "2s", "150ms" (the one type of every carve config).
type Duration = yamlcfg.Duration

// Error is a problem about one place in the config: "file:line: path: msg".
type Error = yamlcfg.Problem

// Load reads and validates the config in file.
func Load(file string) (*Config, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read proxy config: %w", err)
	}
	return Parse(file, data)
}

// Parse decodes data strictly, fills the defaults and validates the whole config; file names
// it in errors. The error lists every problem, one a line, as "file:line: path: what to do".
func Parse(file string, data []byte) (*Config, error) {
	c := &Config{File: file, Sum: sha256.Sum256(data)}
	doc := yamlcfg.Decode(file, data, c, yamlcfg.Options{Docs: "docs/strangler.md"})
	if doc.Empty() {
		return nil, yamlcfg.Problems{{File: file, Msg: "empty config: write at least listen, upstreams and default"}}
	}
	if doc.Failed() {
		return nil, doc.Err()
	}
	c.doc = doc
	c.defaults()
	c.validate()
	if err := doc.Err(); err != nil {
		return nil, err
	}
	return c, nil
}

// Line returns the line of the key at path (e.g. "routes[0].split"), or of its nearest parent,
// or 1 when unknown.
func (c *Config) Line(path string) int {
	if c.doc == nil {
		return 1
	}
	return c.doc.Line(path)
}

// errf returns a problem about the key at path.
func (c *Config) errf(path, format string, args ...any) *Error {
	return &Error{File: c.File, Line: c.Line(path), Path: path, Msg: fmt.Sprintf(format, args...)}
}

// problem records a problem about the key at path.
func (c *Config) problem(path, format string, args ...any) {
	c.doc.Report(c.errf(path, format, args...))
}

// Table compiles the routes' matches into a route table whose indexes are those of c.Routes;
// conflicting patterns are refused with an error naming both lines.
func (c *Config) Table() (*route.Table, error) {
	specs := make([]route.Spec, 0, len(c.Routes))
	for i, r := range c.Routes {
		s := route.Spec{Route: i, Patterns: r.Match.Paths, Hosts: r.Match.Hosts, Headers: r.Match.Headers}
		for j := range r.Match.Paths {
			s.Where = append(s.Where, fmt.Sprintf("routes[%d].match.paths[%d]", i, j))
		}
		specs = append(specs, s)
	}
	t, err := route.Compile(specs)
	if err != nil {
		var we *route.WhereError
		if errors.As(err, &we) {
			var ce *route.ConflictError
			if errors.As(we.Err, &ce) {
				return nil, c.errf(we.Where, "pattern %q conflicts with %q at line %d (%s): %s", ce.Pattern, ce.OtherPt, c.Line(ce.Other), ce.Other, conflictHint(ce))
			}
			return nil, c.errf(we.Where, "%v", we.Err)
		}
		return nil, fmt.Errorf("%s: %w", c.File, err)
	}
	return t, nil
}

func conflictHint(ce *route.ConflictError) string {
	if ce.Duplicate {
		return "they match exactly the same requests; remove one or give one a header condition"
	}
	return "both match some requests and neither is more specific; make one narrower"
}

// MaxWeight bounds a single weight so sums never overflow.
const MaxWeight = 1_000_000

// CheckWeights validates a split of the config at path (e.g. "routes[0].split"), returning
// an *Error that names the line.
func (c *Config) CheckWeights(path string, split map[string]int) error {
	if key, msg := c.weightsProblem(split); msg != "" {
		if key != "" {
			path += "." + key
		}
		return c.errf(path, "%s", msg)
	}
	return nil
}

// WeightsError says why weights given at run time (admin API, store) cannot be used.
type WeightsError struct{ Msg string }

func (e *WeightsError) Error() string { return "bad weights: " + e.Msg }

// ValidWeights validates weights given at run time against the configured upstreams: at
// least one upstream, every name known, weights in [0, MaxWeight], at least one above zero.
func (c *Config) ValidWeights(split map[string]int) error {
	if key, msg := c.weightsProblem(split); msg != "" {
		if key != "" {
			msg = key + ": " + msg
		}
		return &WeightsError{Msg: msg}
	}
	return nil
}

func (c *Config) weightsProblem(split map[string]int) (key, msg string) {
	if len(split) == 0 {
		return "", "missing: give weights such as {orders: 25, monolith: 75}"
	}
	sum := 0
	for _, name := range slices.Sorted(maps.Keys(split)) {
		w := split[name]
		if _, ok := c.Upstreams[name]; !ok {
			return name, fmt.Sprintf("unknown upstream %q: define it under upstreams", name)
		}
		if w < 0 || w > MaxWeight {
			return name, fmt.Sprintf("bad weight %d: use an integer from 0 to %d", w, MaxWeight)
		}
		sum += w
	}
	if sum == 0 {
		return "", "all weights are 0: give at least one upstream a positive weight"
	}
	return "", ""
}

// Route returns the route named name, or nil.
func (c *Config) Route(name string) *Route {
	for _, r := range c.Routes {
		if r != nil && r.Name == name {
			return r
		}
	}
	return nil
}

// ParseTarget parses an upstream target URL: http or https, a host, no query or fragment.
func ParseTarget(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("bad target URL %q: %w", s, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("bad target URL %q: scheme must be http or https", s)
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, fmt.Errorf("bad target URL %q: missing host", s)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("bad target URL %q: no query, fragment or user info", s)
	}
	return u, nil
}

// ParseCIDROrIP parses a CIDR or a single address (as a /32 or /128).
func ParseCIDROrIP(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
}

// IsLoopback reports whether host (from host:port) is a loopback address or "localhost".
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

func validName(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

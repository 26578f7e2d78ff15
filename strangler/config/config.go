// Package config is the strangler proxy's configuration: the YAML document an operator writes,
// decoded strictly (unknown keys are errors) and validated as a whole, with every error naming
// the file and line it is about.
package config

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

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
	// lines maps a key path such as "routes[0].split.orders" to its line in File.
	lines map[string]int
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

// Duration is a time.Duration written as "2s", "150ms".
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// UnmarshalYAML parses a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return fmt.Errorf("line %d: bad duration %q: write a non-negative Go duration such as 2s or 500ms", n.Line, s)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as a string.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// Load reads and validates the config in file.
func Load(file string) (*Config, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read proxy config: %w", err)
	}
	return Parse(file, data)
}

// Parse decodes data strictly and validates it as a whole; file names it in errors. Defaults
// are filled in on the returned config.
func Parse(file string, data []byte) (*Config, error) {
	c := &Config{File: file}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: empty config: write at least listen, upstreams and default", file)
		}
		return nil, decodeError(file, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: more than one YAML document: keep one", file)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err == nil {
		c.lines = map[string]int{}
		walkLines(&root, "", c.lines)
	}
	c.File = file
	c.Sum = sha256.Sum256(data)
	if err := c.validate(); err != nil {
		return nil, err
	}
	return c, nil
}

var (
	lineRe    = regexp.MustCompile(`^line (\d+): (.*)$`)
	unknownRe = regexp.MustCompile(`^field (\S+) not found in type config\.(\w+)$`)
	typeRe    = regexp.MustCompile("^cannot unmarshal !!(\\w+) `(.*)` into (\\S+)$")
)

// decodeError rewrites yaml's decode errors as "file:line: what: what to do", one per line.
func decodeError(file string, err error) error {
	var te *yaml.TypeError
	msgs := []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	var errs []error
	for _, m := range msgs {
		line, what := "", m
		if sm := lineRe.FindStringSubmatch(m); sm != nil {
			line, what = sm[1], sm[2]
		}
		if sm := unknownRe.FindStringSubmatch(what); sm != nil {
			what = fmt.Sprintf("unknown key %q in %s: check the spelling against docs/strangler.md", sm[1], strings.ToLower(sm[2]))
		} else if sm := typeRe.FindStringSubmatch(what); sm != nil {
			what = fmt.Sprintf("%q is a %s where %s is expected", sm[2], sm[1], yamlType(sm[3]))
		}
		if line != "" {
			errs = append(errs, fmt.Errorf("%s:%s: %s", file, line, what))
		} else {
			errs = append(errs, fmt.Errorf("%s: %s", file, what))
		}
	}
	return errors.Join(errs...)
}

func yamlType(goType string) string {
	switch {
	case strings.HasPrefix(goType, "int"):
		return "an integer"
	case strings.HasPrefix(goType, "float"):
		return "a number"
	case goType == "string":
		return "a string"
	case goType == "bool":
		return "true or false"
	case strings.HasPrefix(goType, "map"), strings.HasPrefix(goType, "config."), strings.HasPrefix(goType, "*config."):
		return "a mapping"
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	}
	return goType
}

func walkLines(n *yaml.Node, path string, out map[string]int) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			walkLines(c, path, out)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			p := k.Value
			if path != "" {
				p = path + "." + k.Value
			}
			out[p] = k.Line
			walkLines(n.Content[i+1], p, out)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p := path + "[" + strconv.Itoa(i) + "]"
			out[p] = c.Line
			walkLines(c, p, out)
		}
	}
}

// Line returns the line of the key at path (e.g. "routes[0].split"), or of its nearest parent,
// or 0 when unknown.
func (c *Config) Line(path string) int {
	for path != "" {
		if l, ok := c.lines[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 1
}

// Error is a validation error about one place in the config.
type Error struct {
	File string
	Line int
	Path string
	Msg  string
}

func (e *Error) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Path, e.Msg)
}

func (c *Config) errf(path, format string, args ...any) error {
	return &Error{File: c.File, Line: c.Line(path), Path: path, Msg: fmt.Sprintf(format, args...)}
}

// Defaults filled in by validate.
const (
	DefaultAdminListen    = "127.0.0.1:9901"
	DefaultMaxIdlePerHost = 1024
)

func (c *Config) validate() error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}

	if c.Listen == "" {
		add(c.errf("listen", "missing: set the address to serve on, e.g. \":8080\""))
	} else if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		add(c.errf("listen", "bad address %q: write host:port, e.g. \":8080\"", c.Listen))
	}
	if c.TLS != nil && (c.TLS.CertFile == "" || c.TLS.KeyFile == "") {
		add(c.errf("tls", "set both cert_file and key_file"))
	}
	for i, s := range c.TrustedProxies {
		if _, err := ParseCIDROrIP(s); err != nil {
			add(c.errf(fmt.Sprintf("trusted_proxies[%d]", i), "bad CIDR %q: write e.g. 10.0.0.0/8 or 192.0.2.1", s))
		}
	}
	if c.Server.ReadHeaderTimeout == 0 {
		c.Server.ReadHeaderTimeout = Duration(10 * time.Second)
	}
	if c.Server.IdleTimeout == 0 {
		c.Server.IdleTimeout = Duration(120 * time.Second)
	}
	if c.Server.MaxHeaderBytes == 0 {
		c.Server.MaxHeaderBytes = 64 << 10
	} else if c.Server.MaxHeaderBytes < 0 {
		add(c.errf("server.max_header_bytes", "must be positive"))
	}
	if c.Server.MaxBodyBytes < 0 {
		add(c.errf("server.max_body_bytes", "must be 0 (unlimited) or positive"))
	}
	if c.Server.PathPolicy == "" {
		c.Server.PathPolicy = PathReject
	}
	add(c.checkPathPolicy("server.path_policy", c.Server.PathPolicy))
	if c.Server.BodyTimeout == 0 {
		c.Server.BodyTimeout = Duration(60 * time.Second)
	}
	switch {
	case c.Server.BodyMinRate == 0:
		c.Server.BodyMinRate = 1024
	case c.Server.BodyMinRate < -1:
		add(c.errf("server.body_min_rate", "must be positive bytes per second, or -1 for none"))
	}
	if c.Admin.Listen == "" {
		c.Admin.Listen = DefaultAdminListen
	}
	if host, _, err := net.SplitHostPort(c.Admin.Listen); err != nil {
		add(c.errf("admin.listen", "bad address %q: write host:port, e.g. 127.0.0.1:9901", c.Admin.Listen))
	} else if !IsLoopback(host) && c.Admin.TokenEnv == "" {
		add(c.errf("admin.listen", "%q is not a loopback address and admin.token_env is not set: set a bearer token or listen on 127.0.0.1", c.Admin.Listen))
	}
	if c.AccessLog.Sample == nil {
		one := 1.0
		c.AccessLog.Sample = &one
	} else if s := *c.AccessLog.Sample; !(s >= 0 && s <= 1) {
		add(c.errf("access_log.sample", "%v is not a fraction: write a number from 0 (off) to 1 (every request)", s))
	}
	if c.Shutdown.Timeout == 0 {
		c.Shutdown.Timeout = Duration(30 * time.Second)
	}
	t := &c.Transport
	if t.DialTimeout == 0 {
		t.DialTimeout = Duration(5 * time.Second)
	}
	if t.ResponseHeaderTimeout == 0 {
		t.ResponseHeaderTimeout = Duration(60 * time.Second)
	}
	if t.IdleConnTimeout == 0 {
		t.IdleConnTimeout = Duration(90 * time.Second)
	}
	if t.MaxIdleConnsPerHost == 0 {
		t.MaxIdleConnsPerHost = DefaultMaxIdlePerHost
	} else if t.MaxIdleConnsPerHost < 0 {
		add(c.errf("transport.max_idle_conns_per_host", "must be positive"))
	}
	if t.MaxConnsPerHost < 0 {
		add(c.errf("transport.max_conns_per_host", "must be 0 (no cap) or positive"))
	}

	if len(c.Upstreams) == 0 {
		add(c.errf("upstreams", "missing: define at least the monolith, e.g. upstreams: {monolith: {targets: [\"http://127.0.0.1:9000\"]}}"))
	}
	for _, name := range slices.Sorted(maps.Keys(c.Upstreams)) {
		c.validateUpstream(name, c.Upstreams[name], add)
	}
	if c.Default == "" {
		add(c.errf("default", "missing: name the upstream for requests no route matches"))
	} else if _, ok := c.Upstreams[c.Default]; !ok {
		add(c.errf("default", "unknown upstream %q: define it under upstreams", c.Default))
	}
	names := map[string]int{}
	for i, r := range c.Routes {
		c.validateRoute(i, r, names, add)
	}
	if len(errs) == 0 {
		if _, err := c.Table(); err != nil {
			add(err)
		}
	}
	if c.Store != nil {
		switch {
		case (c.Store.DynamoDB == nil) == (c.Store.Etcd == nil):
			add(c.errf("store", "set exactly one of store.dynamodb and store.etcd"))
		case c.Store.Etcd != nil:
			e := c.Store.Etcd
			c.validateEtcdEndpoints("store.etcd", e.Endpoints, add)
			if e.Key == "" || !strings.HasPrefix(e.Key, "/") {
				add(c.errf("store.etcd.key", "%q: write the key prefix of the weights, starting with /, e.g. /carve/weights", e.Key))
			}
			e.Key = strings.TrimSuffix(e.Key, "/")
			if e.Poll == 0 {
				e.Poll = Duration(time.Second)
			}
			if e.DialTimeout == 0 {
				e.DialTimeout = Duration(5 * time.Second)
			}
		default:
			d := c.Store.DynamoDB
			if d.Table == "" {
				add(c.errf("store.dynamodb.table", "missing: name the DynamoDB table of weights"))
			}
			if d.Endpoint != "" {
				if u, err := url.Parse(d.Endpoint); err != nil || u.Scheme == "" || u.Host == "" {
					add(c.errf("store.dynamodb.endpoint", "bad URL %q: write e.g. http://127.0.0.1:8000", d.Endpoint))
				}
			}
			if d.Poll == 0 {
				d.Poll = Duration(2 * time.Second)
			}
		}
	}
	return errors.Join(errs...)
}

func (c *Config) validateUpstream(name string, u *Upstream, add func(error)) {
	p := "upstreams." + name
	if u == nil {
		add(c.errf(p, "empty: set targets"))
		return
	}
	if !validName(name) {
		add(c.errf(p, "bad name %q: use letters, digits, '-', '_' and '.'", name))
	}
	switch n := btoi(len(u.Targets) > 0) + btoi(u.Lambda != nil) + btoi(u.Etcd != nil); {
	case n == 0:
		add(c.errf(p+".targets", "missing: list at least one URL such as http://127.0.0.1:9000 (or set lambda or etcd)"))
	case n > 1:
		add(c.errf(p, "set exactly one of targets, lambda and etcd"))
	}
	if l := u.Lambda; l != nil {
		c.validateLambda(p+".lambda", l, add)
		if u.DNS != nil {
			add(c.errf(p+".dns", "a lambda upstream has no host names to resolve: remove dns"))
		}
	}
	if e := u.Etcd; e != nil {
		c.validateEtcdEndpoints(p+".etcd", e.Endpoints, add)
		if !strings.HasPrefix(e.Prefix, "/") {
			add(c.errf(p+".etcd.prefix", "%q: write the key prefix of the service's instances, starting with /, e.g. /services/orders/", e.Prefix))
		}
		if e.DialTimeout == 0 {
			e.DialTimeout = Duration(5 * time.Second)
		}
		if u.DNS != nil {
			add(c.errf(p+".dns", "targets from etcd are not resolved: remove dns"))
		}
	}
	for i, t := range u.Targets {
		if _, err := ParseTarget(t); err != nil {
			add(c.errf(fmt.Sprintf("%s.targets[%d]", p, i), "%v", err))
		}
	}
	switch u.Balance {
	case "":
		u.Balance = "round_robin"
	case "round_robin", "least_requests":
	default:
		add(c.errf(p+".balance", "unknown %q: use round_robin or least_requests", u.Balance))
	}
	if u.DNS != nil {
		if u.DNS.Interval == 0 {
			u.DNS.Interval = Duration(30 * time.Second)
		}
		switch u.DNS.Network {
		case "":
			u.DNS.Network = "ip"
		case "ip", "ip4", "ip6":
		default:
			add(c.errf(p+".dns.network", "unknown %q: use ip, ip4 or ip6", u.DNS.Network))
		}
	}
	if h := u.Health; h != nil {
		if !strings.HasPrefix(h.Path, "/") {
			add(c.errf(p+".health.path", "%q must start with /", h.Path))
		}
		if h.Interval == 0 {
			h.Interval = Duration(5 * time.Second)
		}
		if h.Timeout == 0 {
			h.Timeout = Duration(2 * time.Second)
		}
		if h.Healthy == 0 {
			h.Healthy = 2
		}
		if h.Unhealthy == 0 {
			h.Unhealthy = 3
		}
		if h.Healthy < 0 || h.Unhealthy < 0 {
			add(c.errf(p+".health", "healthy and unhealthy thresholds must be positive"))
		}
	}
	if u.Passive.Failures == 0 {
		u.Passive.Failures = 5
	} else if u.Passive.Failures < -1 {
		add(c.errf(p+".passive.failures", "must be positive, or -1 to disable passive ejection"))
	}
	if u.Passive.Eject == 0 {
		u.Passive.Eject = Duration(10 * time.Second)
	}
}

// lambdaFunction matches a function name, a partial ARN or a full ARN, with an optional
// qualifier (Lambda's own pattern, simplified).
var lambdaFunction = regexp.MustCompile(`^(arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:function:|\d{12}:function:)?[a-zA-Z0-9-_]{1,64}(:(\$LATEST|[a-zA-Z0-9-_]+))?$`)

func (c *Config) validateLambda(p string, l *Lambda, add func(error)) {
	switch {
	case l.Function == "":
		add(c.errf(p+".function", "missing: name the function, e.g. orders-fn"))
	case !lambdaFunction.MatchString(l.Function):
		add(c.errf(p+".function", "bad function %q: write a function name (letters, digits, '-', '_') or its ARN", l.Function))
	}
	if l.Endpoint != "" {
		if u, err := url.Parse(l.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add(c.errf(p+".endpoint", "bad URL %q: write e.g. http://127.0.0.1:9001", l.Endpoint))
		}
	}
}

func (c *Config) validateEtcdEndpoints(p string, eps []string, add func(error)) {
	if len(eps) == 0 {
		add(c.errf(p+".endpoints", "missing: list the etcd client URLs, e.g. [\"http://127.0.0.1:2379\"]"))
	}
	for i, e := range eps {
		if u, err := url.Parse(e); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Port() == "" {
			add(c.errf(fmt.Sprintf("%s.endpoints[%d]", p, i), "bad URL %q: write e.g. http://127.0.0.1:2379", e))
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (c *Config) validateRoute(i int, r *Route, names map[string]int, add func(error)) {
	p := fmt.Sprintf("routes[%d]", i)
	if r == nil {
		add(c.errf(p, "empty route"))
		return
	}
	switch {
	case r.Name == "":
		add(c.errf(p+".name", "missing: every route needs a unique name"))
	case !validName(r.Name):
		add(c.errf(p+".name", "bad name %q: use letters, digits, '-', '_' and '.'", r.Name))
	case r.Name == "default":
		add(c.errf(p+".name", "\"default\" is reserved for unmatched requests: pick another name"))
	default:
		if j, dup := names[r.Name]; dup {
			add(c.errf(p+".name", "duplicate route name %q (also routes[%d] at line %d): names must be unique", r.Name, j, c.Line(fmt.Sprintf("routes[%d]", j))))
		} else {
			names[r.Name] = i
		}
	}
	if len(r.Match.Paths) == 0 {
		add(c.errf(p+".match.paths", "missing: list at least one pattern such as /orders/ or \"GET /api/orders/{id}\""))
	}
	for j, pat := range r.Match.Paths {
		if _, err := route.ParsePattern(pat); err != nil {
			add(c.errf(fmt.Sprintf("%s.match.paths[%d]", p, j), "%v", err))
		}
	}
	for j, h := range r.Match.Hosts {
		switch {
		case h == "" || strings.ContainsAny(h, "/ \t{}"):
			add(c.errf(fmt.Sprintf("%s.match.hosts[%d]", p, j), "bad host %q: write a host name such as shop.example.com", h))
		case strings.Contains(h, ":") && !strings.HasPrefix(h, "["):
			add(c.errf(fmt.Sprintf("%s.match.hosts[%d]", p, j), "host %q has a port: hosts match without the port, drop it", h))
		}
	}
	for k := range r.Match.Headers {
		if k == "" || strings.ContainsAny(k, " :\t\r\n") {
			add(c.errf(p+".match.headers", "bad header name %q", k))
		}
	}
	add(c.CheckWeights(p+".split", r.Split))
	if s := r.Sticky; s != nil {
		n := 0
		for _, v := range []string{s.Cookie, s.Header, s.Query} {
			if v != "" {
				n++
			}
		}
		if n != 1 {
			add(c.errf(p+".sticky", "set exactly one of cookie, header or query"))
		}
	}
	if r.Retries == nil {
		one := 1
		r.Retries = &one
	} else if *r.Retries < 0 || *r.Retries > 10 {
		add(c.errf(p+".retries", "%d is out of range: use 0 to 10", *r.Retries))
	}
	if r.MaxBodyBytes < 0 {
		add(c.errf(p+".max_body_bytes", "must be 0 (inherit) or positive"))
	}
	c.validateShadow(p+".shadow", r, add)
	c.validateRollout(p+".rollout", r, add)
	if r.PathPolicy != "" {
		add(c.checkPathPolicy(p+".path_policy", r.PathPolicy))
	}
	if r.ReadYourWrites != nil {
		c.validateReadYourWrites(p+".read_your_writes", r, add)
	}
}

func (c *Config) validateReadYourWrites(p string, r *Route, add func(error)) {
	ryw := r.ReadYourWrites
	if ryw.Cookie == "" {
		ryw.Cookie = "carve_ryw"
	}
	if ryw.SecretEnv == "" {
		add(c.errf(p+".secret_env", "missing: name the environment variable holding the cookie's signing key (16 bytes or more)"))
	}
	switch d := ryw.MaxWait.D(); {
	case d == 0:
		ryw.MaxWait = Duration(5 * time.Second)
	case d < 0 || d > time.Hour:
		add(c.errf(p+".max_wait", "%s is out of range: use up to 1h", d))
	}
	if len(ryw.Watermarks) == 0 {
		add(c.errf(p+".watermarks", "missing: map an upstream of the split to the /watermark URL of the sync that feeds it"))
	}
	for up, raw := range ryw.Watermarks {
		if _, ok := r.Split[up]; !ok {
			add(c.errf(p+".watermarks."+up, "upstream %q is not in this route's split", up))
		}
		if u, err := url.Parse(raw); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add(c.errf(p+".watermarks."+up, "bad URL %q: write e.g. http://127.0.0.1:9464/watermark", raw))
		}
	}
}

func (c *Config) checkPathPolicy(path, policy string) error {
	switch policy {
	case PathReject, PathNormalize, PathRaw:
		return nil
	}
	return c.errf(path, "unknown policy %q: write reject, normalize or raw", policy)
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

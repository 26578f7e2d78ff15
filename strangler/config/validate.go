package config

import (
	"maps"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/carve-dev/carve/internal/yamlcfg"
	"github.com/carve-dev/carve/strangler/route"
)

// validate records every problem of the config, each on its line. It only reads: the defaults
// are already in.
func (c *Config) validate() {
	c.validateListeners()
	c.validateServer()
	c.validateTransport()
	if len(c.Upstreams) == 0 {
		c.problem("upstreams", "missing: define at least the monolith, e.g. upstreams: {monolith: {targets: [\"http://127.0.0.1:9000\"]}}")
	}
	for _, name := range slices.Sorted(maps.Keys(c.Upstreams)) {
		c.validateUpstream(name, c.Upstreams[name])
	}
	if c.Default == "" {
		c.problem("default", "missing: name the upstream for requests no route matches")
	} else if _, ok := c.Upstreams[c.Default]; !ok {
		c.problem("default", "unknown upstream %q: define it under upstreams", c.Default)
	}
	names := map[string]int{}
	for i, r := range c.Routes {
		c.validateRoute(i, r, names)
	}
	if c.doc.Err() == nil {
		if _, err := c.Table(); err != nil {
			c.doc.Report(err)
		}
	}
	c.validateStore()
}

// validateListeners checks the traffic and admin listeners and whom the proxy trusts.
func (c *Config) validateListeners() {
	if c.Listen == "" {
		c.problem("listen", "missing: set the address to serve on, e.g. \":8080\"")
	} else if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		c.problem("listen", "bad address %q: write host:port, e.g. \":8080\"", c.Listen)
	}
	if c.TLS != nil && (c.TLS.CertFile == "" || c.TLS.KeyFile == "") {
		c.problem("tls", "set both cert_file and key_file")
	}
	for i, s := range c.TrustedProxies {
		if _, err := ParseCIDROrIP(s); err != nil {
			c.problem(yamlcfg.Index("trusted_proxies", i), "bad CIDR %q: write e.g. 10.0.0.0/8 or 192.0.2.1", s)
		}
	}
	if host, _, err := net.SplitHostPort(c.Admin.Listen); err != nil {
		c.problem("admin.listen", "bad address %q: write host:port, e.g. 127.0.0.1:9901", c.Admin.Listen)
	} else if !IsLoopback(host) && c.Admin.TokenEnv == "" {
		c.problem("admin.listen", "%q is not a loopback address and admin.token_env is not set: set a bearer token or listen on 127.0.0.1", c.Admin.Listen)
	}
	if s := *c.AccessLog.Sample; !(s >= 0 && s <= 1) {
		c.problem("access_log.sample", "%v is not a fraction: write a number from 0 (off) to 1 (every request)", s)
	}
}

func (c *Config) validateServer() {
	s := c.Server
	if s.MaxHeaderBytes < 0 {
		c.problem("server.max_header_bytes", "must be positive")
	}
	if s.MaxBodyBytes < 0 {
		c.problem("server.max_body_bytes", "must be 0 (unlimited) or positive")
	}
	c.checkPathPolicy("server.path_policy", s.PathPolicy)
	if s.BodyMinRate < -1 {
		c.problem("server.body_min_rate", "must be positive bytes per second, or -1 for none")
	}
}

func (c *Config) validateTransport() {
	if c.Transport.MaxIdleConnsPerHost < 0 {
		c.problem("transport.max_idle_conns_per_host", "must be positive")
	}
	if c.Transport.MaxConnsPerHost < 0 {
		c.problem("transport.max_conns_per_host", "must be 0 (no cap) or positive")
	}
}

func (c *Config) validateStore() {
	switch s := c.Store; {
	case s == nil:
	case (s.DynamoDB == nil) == (s.Etcd == nil):
		c.problem("store", "set exactly one of store.dynamodb and store.etcd")
	case s.Etcd != nil:
		c.validateEtcdEndpoints("store.etcd", s.Etcd.Endpoints)
		if !strings.HasPrefix(s.Etcd.Key, "/") {
			c.problem("store.etcd.key", "%q: write the key prefix of the weights, starting with /, e.g. /carve/weights", s.Etcd.Key)
		}
	default:
		d := s.DynamoDB
		if d.Table == "" {
			c.problem("store.dynamodb.table", "missing: name the DynamoDB table of weights")
		}
		if d.Endpoint != "" {
			if u, err := url.Parse(d.Endpoint); err != nil || u.Scheme == "" || u.Host == "" {
				c.problem("store.dynamodb.endpoint", "bad URL %q: write e.g. http://127.0.0.1:8000", d.Endpoint)
			}
		}
	}
}

func (c *Config) validateUpstream(name string, u *Upstream) {
	p := yamlcfg.Join("upstreams", name)
	if u == nil {
		c.problem(p, "empty: set targets")
		return
	}
	if !validName(name) {
		c.problem(p, "bad name %q: use letters, digits, '-', '_' and '.'", name)
	}
	switch n := btoi(len(u.Targets) > 0) + btoi(u.Lambda != nil) + btoi(u.Etcd != nil); {
	case n == 0:
		c.problem(p+".targets", "missing: list at least one URL such as http://127.0.0.1:9000 (or set lambda or etcd)")
	case n > 1:
		c.problem(p, "set exactly one of targets, lambda and etcd")
	}
	if u.Lambda != nil {
		c.validateLambda(p+".lambda", u.Lambda)
		if u.DNS != nil {
			c.problem(p+".dns", "a lambda upstream has no host names to resolve: remove dns")
		}
	}
	if e := u.Etcd; e != nil {
		c.validateEtcdEndpoints(p+".etcd", e.Endpoints)
		if !strings.HasPrefix(e.Prefix, "/") {
			c.problem(p+".etcd.prefix", "%q: write the key prefix of the service's instances, starting with /, e.g. /services/orders/", e.Prefix)
		}
		if u.DNS != nil {
			c.problem(p+".dns", "targets from etcd are not resolved: remove dns")
		}
	}
	for i, t := range u.Targets {
		if _, err := ParseTarget(t); err != nil {
			c.problem(yamlcfg.Index(p+".targets", i), "%v", err)
		}
	}
	c.validatePool(p, u)
}

// validatePool checks how an upstream picks its targets and tells their health.
func (c *Config) validatePool(p string, u *Upstream) {
	switch u.Balance {
	case "round_robin", "least_requests":
	default:
		c.problem(p+".balance", "unknown %q: use round_robin or least_requests", u.Balance)
	}
	if u.DNS != nil {
		switch u.DNS.Network {
		case "ip", "ip4", "ip6":
		default:
			c.problem(p+".dns.network", "unknown %q: use ip, ip4 or ip6", u.DNS.Network)
		}
	}
	if h := u.Health; h != nil {
		if !strings.HasPrefix(h.Path, "/") {
			c.problem(p+".health.path", "%q must start with /", h.Path)
		}
		if h.Healthy < 0 || h.Unhealthy < 0 {
			c.problem(p+".health", "healthy and unhealthy thresholds must be positive")
		}
	}
	if u.Passive.Failures < -1 {
		c.problem(p+".passive.failures", "must be positive, or -1 to disable passive ejection")
	}
}

// lambdaFunction matches a function name, a partial ARN or a full ARN, with an optional
// qualifier (Lambda's own pattern, simplified).
var lambdaFunction = regexp.MustCompile(`^(arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:function:|\d{12}:function:)?[a-zA-Z0-9-_]{1,64}(:(\$LATEST|[a-zA-Z0-9-_]+))?$`)

func (c *Config) validateLambda(p string, l *Lambda) {
	switch {
	case l.Function == "":
		c.problem(p+".function", "missing: name the function, e.g. orders-fn")
	case !lambdaFunction.MatchString(l.Function):
		c.problem(p+".function", "bad function %q: write a function name (letters, digits, '-', '_') or its ARN", l.Function)
	}
	if l.Endpoint != "" {
		if u, err := url.Parse(l.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			c.problem(p+".endpoint", "bad URL %q: write e.g. http://127.0.0.1:9001", l.Endpoint)
		}
	}
}

func (c *Config) validateEtcdEndpoints(p string, eps []string) {
	if len(eps) == 0 {
		c.problem(p+".endpoints", "missing: list the etcd client URLs, e.g. [\"http://127.0.0.1:2379\"]")
	}
	for i, e := range eps {
		if u, err := url.Parse(e); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Port() == "" {
			c.problem(yamlcfg.Index(p+".endpoints", i), "bad URL %q: write e.g. http://127.0.0.1:2379", e)
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (c *Config) validateRoute(i int, r *Route, names map[string]int) {
	p := yamlcfg.Index("routes", i)
	if r == nil {
		c.problem(p, "empty route")
		return
	}
	c.validateRouteName(p, i, r.Name, names)
	c.validateMatch(p+".match", r.Match)
	c.doc.Report(c.CheckWeights(p+".split", r.Split))
	if s := r.Sticky; s != nil && btoi(s.Cookie != "")+btoi(s.Header != "")+btoi(s.Query != "") != 1 {
		c.problem(p+".sticky", "set exactly one of cookie, header or query")
	}
	if *r.Retries < 0 || *r.Retries > 10 {
		c.problem(p+".retries", "%d is out of range: use 0 to 10", *r.Retries)
	}
	if r.MaxBodyBytes < 0 {
		c.problem(p+".max_body_bytes", "must be 0 (inherit) or positive")
	}
	c.validateShadow(p+".shadow", r)
	c.validateRollout(p+".rollout", r)
	if r.PathPolicy != "" {
		c.checkPathPolicy(p+".path_policy", r.PathPolicy)
	}
	if r.ReadYourWrites != nil {
		c.validateReadYourWrites(p+".read_your_writes", r)
	}
}

// validateRouteName checks route i's name and records it in names.
func (c *Config) validateRouteName(p string, i int, name string, names map[string]int) {
	switch j, dup := names[name]; {
	case name == "":
		c.problem(p+".name", "missing: every route needs a unique name")
	case !validName(name):
		c.problem(p+".name", "bad name %q: use letters, digits, '-', '_' and '.'", name)
	case name == "default":
		c.problem(p+".name", "\"default\" is reserved for unmatched requests: pick another name")
	case dup:
		c.problem(p+".name", "duplicate route name %q (also routes[%d] at line %d): names must be unique", name, j, c.Line(yamlcfg.Index("routes", j)))
	default:
		names[name] = i
	}
}

func (c *Config) validateMatch(p string, m Match) {
	if len(m.Paths) == 0 {
		c.problem(p+".paths", "missing: list at least one pattern such as /orders/ or \"GET /api/orders/{id}\"")
	}
	for j, pat := range m.Paths {
		if _, err := route.ParsePattern(pat); err != nil {
			c.problem(yamlcfg.Index(p+".paths", j), "%v", err)
		}
	}
	for j, h := range m.Hosts {
		switch {
		case h == "" || strings.ContainsAny(h, "/ \t{}"):
			c.problem(yamlcfg.Index(p+".hosts", j), "bad host %q: write a host name such as shop.example.com", h)
		case strings.Contains(h, ":") && !strings.HasPrefix(h, "["):
			c.problem(yamlcfg.Index(p+".hosts", j), "host %q has a port: hosts match without the port, drop it", h)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(m.Headers)) {
		if !validHeaderName(k) {
			c.problem(p+".headers", "bad header name %q", k)
		}
	}
}

func validHeaderName(h string) bool { return h != "" && !strings.ContainsAny(h, " :\t\r\n") }

func (c *Config) validateReadYourWrites(p string, r *Route) {
	ryw := r.ReadYourWrites
	if ryw.SecretEnv == "" {
		c.problem(p+".secret_env", "missing: name the environment variable holding the cookie's signing key (16 bytes or more)")
	}
	if d := ryw.MaxWait.D(); d > time.Hour {
		c.problem(p+".max_wait", "%s is out of range: use up to 1h", d)
	}
	if len(ryw.Watermarks) == 0 {
		c.problem(p+".watermarks", "missing: map an upstream of the split to the /watermark URL of the sync that feeds it")
	}
	for _, up := range slices.Sorted(maps.Keys(ryw.Watermarks)) {
		if _, ok := r.Split[up]; !ok {
			c.problem(p+".watermarks."+up, "upstream %q is not in this route's split", up)
		}
		if u, err := url.Parse(ryw.Watermarks[up]); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			c.problem(p+".watermarks."+up, "bad URL %q: write e.g. http://127.0.0.1:9464/watermark", ryw.Watermarks[up])
		}
	}
}

func (c *Config) checkPathPolicy(path, policy string) {
	switch policy {
	case PathReject, PathNormalize, PathRaw:
		return
	}
	c.problem(path, "unknown policy %q: write reject, normalize or raw", policy)
}

package config

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/carve-dev/carve/internal/yamlcfg/yamlcfgtest"
)

const goodConfig = `listen: ":8080"
admin: {listen: "127.0.0.1:9901", token_env: CARVE_ADMIN_TOKEN}
upstreams:
  monolith: {targets: ["http://127.0.0.1:9000"], health: {path: /healthz, interval: 2s}}
  orders:   {targets: ["http://127.0.0.1:9100", "http://127.0.0.1:9101"], balance: least_requests}
routes:
  - name: orders
    match: {paths: ["/orders/", "GET /api/orders/{id}"], hosts: ["shop.example.com"], headers: {X-Beta: "1"}}
    split: {orders: 25, monolith: 75}
    sticky: {cookie: carve-orders}
default: monolith
`

// A Lambda upstream and an etcd one, with the etcd weight store, are accepted with defaults.
func TestParseLambdaAndEtcd(t *testing.T) {
	yaml := strings.Replace(goodConfig, `{targets: ["http://127.0.0.1:9100", "http://127.0.0.1:9101"], balance: least_requests}`,
		"{lambda: {function: \"arn:aws:lambda:eu-west-1:123456789012:function:orders-fn:live\", region: eu-west-1}}\n  carts: {etcd: {endpoints: [\"http://127.0.0.1:2379\"], prefix: /services/carts/}}", 1) +
		"store: {etcd: {endpoints: [\"http://127.0.0.1:2379\"], key: /carve/weights/}}\n"
	c, err := Parse("s.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	if e := c.Upstreams["carts"].Etcd; e.DialTimeout.D() != 5*time.Second {
		t.Errorf("etcd dial_timeout default: %v", e.DialTimeout.D())
	}
	if s := c.Store.Etcd; s.Key != "/carve/weights" || c.Store.PollInterval() != time.Second {
		t.Errorf("etcd store: key %q (want the trailing / trimmed), poll %v (want 1s)", s.Key, c.Store.PollInterval())
	}
}

func TestParseGood(t *testing.T) {
	c, err := Parse("s.yaml", []byte(goodConfig))
	if err != nil {
		t.Fatal(err)
	}
	if c.Upstreams["monolith"].Health.Healthy != 2 || c.Upstreams["orders"].Balance != "least_requests" || *c.Routes[0].Retries != 1 {
		t.Errorf("defaults not filled: %+v", c.Upstreams["monolith"].Health)
	}
	if s := c.Server; s.PathPolicy != PathReject || s.BodyTimeout.D() != 60*time.Second || s.BodyMinRate != 1024 {
		t.Errorf("server defaults: path_policy %q, body_timeout %v, body_min_rate %d; want reject, 60s, 1024", s.PathPolicy, s.BodyTimeout.D(), s.BodyMinRate)
	}
	if c.Line("routes[0].split.orders") != 9 {
		t.Errorf("line of routes[0].split.orders = %d, want 9", c.Line("routes[0].split.orders"))
	}
}

// Each bad config is refused with an error naming the line and saying what is wrong.
func TestParseBad(t *testing.T) {
	cases := []struct {
		name, edit, want string
	}{
		{"unknown key", "listen: \":8080\"\nlisten_addr: x\n", `s.yaml:2: unknown key "listen_addr": did you mean "listen"?`},
		{"unknown nested key", strings.Replace(goodConfig, "sticky: {cookie: carve-orders}", "sticky: {cookies: carve-orders}", 1), `s.yaml:10: routes[0].sticky: unknown key "cookies": did you mean "cookie"? (see docs/strangler.md)`},
		{"bad weight", strings.Replace(goodConfig, "orders: 25", "orders: -5", 1), "s.yaml:9: routes[0].split.orders: bad weight -5"},
		{"weight not a number", strings.Replace(goodConfig, "orders: 25", "orders: lots", 1), `s.yaml:9: routes[0].split.orders: "lots" is a string where an integer is expected`},
		{"all zero", strings.Replace(strings.Replace(goodConfig, "orders: 25", "orders: 0", 1), "monolith: 75", "monolith: 0", 1), "s.yaml:9: routes[0].split: all weights are 0"},
		{"unknown upstream", strings.Replace(goodConfig, "orders: 25", "payments: 25", 1), "s.yaml:9: routes[0].split.payments: unknown upstream \"payments\""},
		{"unknown default", strings.Replace(goodConfig, "default: monolith", "default: mono", 1), "s.yaml:11: default: unknown upstream \"mono\""},
		{"bad pattern", strings.Replace(goodConfig, "GET /api/orders/{id}", "GET /api/orders/{id", 1), "s.yaml:8: routes[0].match.paths[1]: bad pattern"},
		{"duplicate route", goodConfig + "routes2: x", "unknown key \"routes2\""},
		{"duplicate names", strings.Replace(goodConfig, "default: monolith", "  - name: orders\n    match: {paths: [\"/x/\"]}\n    split: {monolith: 1}\ndefault: monolith", 1), "s.yaml:11: routes[1].name: duplicate route name \"orders\" (also routes[0] at line 7)"},
		{"conflicting patterns", strings.Replace(goodConfig, "default: monolith", "  - name: other\n    match: {paths: [\"/orders/\"], hosts: [\"shop.example.com\"], headers: {X-Beta: \"1\"}}\n    split: {monolith: 1}\ndefault: monolith", 1), "s.yaml:12: routes[1].match.paths[0]: pattern \"/orders/\" conflicts with \"/orders/\" at line 8"},
		{"admin non-loopback without token", strings.Replace(goodConfig, `admin: {listen: "127.0.0.1:9901", token_env: CARVE_ADMIN_TOKEN}`, `admin: {listen: "0.0.0.0:9901"}`, 1), "s.yaml:2: admin.listen: \"0.0.0.0:9901\" is not a loopback address and admin.token_env is not set"},
		{"bad duration", strings.Replace(goodConfig, "interval: 2s", "interval: 2 seconds", 1), `s.yaml:4: upstreams.monolith.health.interval: bad duration "2 seconds"`},
		{"bad target", strings.Replace(goodConfig, "http://127.0.0.1:9000", "ftp://127.0.0.1:9000", 1), "s.yaml:4: upstreams.monolith.targets[0]: bad target URL"},
		{"two sticky keys", strings.Replace(goodConfig, "{cookie: carve-orders}", "{cookie: c, header: X-User}", 1), "s.yaml:10: routes[0].sticky: set exactly one"},
		{"bad balance", strings.Replace(goodConfig, "least_requests", "fastest", 1), "s.yaml:5: upstreams.orders.balance: unknown \"fastest\""},
		{"missing listen", strings.Replace(goodConfig, "listen: \":8080\"\n", "", 1), "listen: missing"},
		{"empty", "", "empty config"},
		{"two documents", goodConfig + "---\nlisten: x\n", `s.yaml:12: a second YAML document`},
		{"bad sample", goodConfig + "access_log: {sample: 2}\n", "s.yaml:12: access_log.sample: 2 is not a fraction"},
		{"host with port", strings.Replace(goodConfig, `hosts: ["shop.example.com"]`, `hosts: ["shop.example.com:8080"]`, 1), "s.yaml:8: routes[0].match.hosts[0]: host \"shop.example.com:8080\" has a port"},
		{"bad trusted cidr", goodConfig + "trusted_proxies: [10.0.0.0/33]\n", "s.yaml:12: trusted_proxies[0]: bad CIDR"},
		{"bad path policy", goodConfig + "server: {path_policy: clean}\n", "s.yaml:12: server.path_policy: unknown policy \"clean\": write reject, normalize or raw"},
		{"bad route path policy", strings.Replace(goodConfig, "sticky: {cookie: carve-orders}", "sticky: {cookie: carve-orders}\n    path_policy: Raw", 1), "s.yaml:11: routes[0].path_policy: unknown policy \"Raw\": write reject, normalize or raw"},
		{"bad body rate", goodConfig + "server: {body_min_rate: -5}\n", "s.yaml:12: server.body_min_rate: must be positive"},
		{"lambda and targets", strings.Replace(goodConfig, "balance: least_requests}", "lambda: {function: orders-fn}}", 1), "s.yaml:5: upstreams.orders: set exactly one of targets, lambda and etcd"},
		{"lambda without function", strings.Replace(goodConfig, `{targets: ["http://127.0.0.1:9100", "http://127.0.0.1:9101"], balance: least_requests}`, "{lambda: {region: us-east-1}}", 1), "s.yaml:5: upstreams.orders.lambda.function: missing"},
		{"bad lambda function", strings.Replace(goodConfig, `{targets: ["http://127.0.0.1:9100", "http://127.0.0.1:9101"], balance: least_requests}`, "{lambda: {function: \"orders fn\"}}", 1), "s.yaml:5: upstreams.orders.lambda.function: bad function \"orders fn\""},
		{"bad lambda endpoint", strings.Replace(goodConfig, `{targets: ["http://127.0.0.1:9100", "http://127.0.0.1:9101"], balance: least_requests}`, "{lambda: {function: orders-fn, endpoint: \"127.0.0.1:9001\"}}", 1), "s.yaml:5: upstreams.orders.lambda.endpoint: bad URL \"127.0.0.1:9001\""},
		{"lambda with dns", strings.Replace(goodConfig, `{targets: ["http://127.0.0.1:9100", "http://127.0.0.1:9101"], balance: least_requests}`, "{lambda: {function: orders-fn}, dns: {}}", 1), "s.yaml:5: upstreams.orders.dns: a lambda upstream has no host names"},
		{"etcd without endpoints", strings.Replace(goodConfig, `{targets: ["http://127.0.0.1:9100", "http://127.0.0.1:9101"], balance: least_requests}`, "{etcd: {prefix: /services/orders/}}", 1), "s.yaml:5: upstreams.orders.etcd.endpoints: missing"},
		{"etcd bad endpoint", strings.Replace(goodConfig, `{targets: ["http://127.0.0.1:9100", "http://127.0.0.1:9101"], balance: least_requests}`, "{etcd: {endpoints: [127.0.0.1:2379], prefix: /services/orders/}}", 1), "s.yaml:5: upstreams.orders.etcd.endpoints[0]: bad URL \"127.0.0.1:2379\""},
		{"etcd bad prefix", strings.Replace(goodConfig, `{targets: ["http://127.0.0.1:9100", "http://127.0.0.1:9101"], balance: least_requests}`, "{etcd: {endpoints: [\"http://127.0.0.1:2379\"], prefix: services}}", 1), "s.yaml:5: upstreams.orders.etcd.prefix: \"services\": write the key prefix"},
		{"two stores", goodConfig + "store: {dynamodb: {table: w}, etcd: {endpoints: [\"http://127.0.0.1:2379\"], key: /w}}\n", "s.yaml:12: store: set exactly one of store.dynamodb and store.etcd"},
		{"etcd store without key", goodConfig + "store:\n  etcd: {endpoints: [\"http://127.0.0.1:2379\"]}\n", "s.yaml:13: store.etcd.key: \"\": write the key prefix"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("s.yaml", []byte(c.edit))
			if err == nil {
				t.Fatalf("accepted; want an error containing %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q\ndoes not contain %q", err, c.want)
			}
			if !strings.HasPrefix(err.Error(), "s.yaml") {
				t.Errorf("error %q does not start with the file name", err)
			}
		})
	}
}

// Every problem of a file is reported at once, in line order, whether the strict decoding or
// the validation found it.
func TestParseAllProblemsInLineOrder(t *testing.T) {
	_, err := Parse("s.yaml", []byte(`listen: 8080
upstreams:
  monolith: {targets: ["ftp://x"], balance: fastest}
routes:
  - name: a
    match: {paths: ["/a/"]}
    split: {monolith: -1}
default: mono
`))
	if err == nil {
		t.Fatal("accepted")
	}
	want := []string{
		`s.yaml:1: listen: bad address "8080"`,
		`s.yaml:3: upstreams.monolith.targets[0]: bad target URL "ftp://x"`,
		`s.yaml:3: upstreams.monolith.balance: unknown "fastest"`,
		`s.yaml:7: routes[0].split.monolith: bad weight -1`,
		`s.yaml:8: default: unknown upstream "mono"`,
	}
	yamlcfgtest.WantProblems(t, err, want...)
	// A value that does not fit is reported once, beside the validation of the rest.
	_, err = Parse("s.yaml", []byte("listen: [x]\nroutes: [{name: a, wieght: 1}]\nshutdown: {delay: later}\n"))
	want = []string{
		`s.yaml:1: listen: a list where a string is expected`,
		`s.yaml:1: upstreams: missing`,
		`s.yaml:1: default: missing`,
		`s.yaml:2: routes[0]: unknown key "wieght"`,
		`s.yaml:2: routes[0].match.paths: missing`,
		`s.yaml:2: routes[0].split: missing`,
		`s.yaml:3: shutdown.delay: bad duration "later"`,
	}
	yamlcfgtest.WantProblems(t, err, want...)
}

// validate only reads: a config validated twice is the same, and defaults come from defaults().
func TestValidateOnlyReads(t *testing.T) {
	c, err := Parse("s.yaml", []byte(goodConfig))
	if err != nil {
		t.Fatal(err)
	}
	before := fmt.Sprintf("%+v", *c.Routes[0])
	c.validate()
	if after := fmt.Sprintf("%+v", *c.Routes[0]); before != after || c.doc.Err() != nil {
		t.Fatalf("validate changed the route or found problems: %s -> %s (%v)", before, after, c.doc.Err())
	}
	var zero Config
	zero.defaults()
	if zero.Admin.Listen != DefaultAdminListen || zero.Transport.MaxIdleConnsPerHost != DefaultMaxIdlePerHost || *zero.AccessLog.Sample != 1 {
		t.Fatalf("defaults not filled by defaults(): %+v", zero)
	}
}

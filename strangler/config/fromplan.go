package config

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"maps"
	"math"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/carve-dev/carve/analyze/plan"
)

// FromPlan says how to build a strangler config for one service of a plan.
type FromPlan struct {
	// Service is the plan's service whose routes move.
	Service string
	// Monolith and Target are the base URLs of the monolith and of the extracted service.
	Monolith, Target string
	// Listen is the proxy's traffic address (default 127.0.0.1:8080).
	Listen string
	// AdminListen is the admin address (default DefaultAdminListen).
	AdminListen string
	// TokenEnv names the variable holding the admin bearer token (default CARVE_ADMIN_TOKEN).
	TokenEnv string
	// HealthPath is checked on both upstreams (default /healthz).
	HealthPath string
	// Weight is the new service's starting share in percent, 0–100 (default 0).
	Weight int
	// Watermarks, when set, turn on read_your_writes: upstream ("monolith" or the service) →
	// the /watermark URL of the carve sync job feeding it.
	Watermarks map[string]string
	// RYWSecretEnv names the variable holding the read-your-writes cookie key (default
	// CARVE_RYW_KEY).
	RYWSecretEnv string
	// Shadow, when above 0, turns on shadow traffic: this fraction (at most 1) of the route's
	// GET and HEAD requests that the monolith serves is copied to the service and the answers
	// are compared (the route's shadow:).
	Shadow float64
	// RolloutSteps, RolloutHold and RolloutGates, when any is set, give the route an automatic
	// rollout of the service (rollout:): the service's percentages (default 1, 5, 25, 50,
	// 100), how long each is held and judged (default 5m), and gate limits by name
	// (RolloutGateNames; a '-' may stand for '_').
	RolloutSteps []int
	RolloutHold  time.Duration
	RolloutGates map[string]string
}

// RolloutGateNames are the gates RolloutGates may set, as the config names them.
var RolloutGateNames = []string{"max_diff_rate", "max_error_rate_ratio", "max_p99_ratio", "min_requests"}

// ErrUnknownService is returned when the plan has no service of the asked name (it is
// plan.ErrUnknownService).
var ErrUnknownService = plan.ErrUnknownService

// ErrNoRoutes is returned when the service serves no HTTP routes, so there is nothing to move.
var ErrNoRoutes = errors.New("service has no routes")

// Generate renders the strangler config moving o.Service's routes from the monolith to the
// target: one route holding exactly the service's route patterns from the plan, split
// Weight% to the service, sticky by a cookie so a user stays on one side, with active health
// checks on both upstreams. Every other request goes to the monolith. The result passes Parse.
func Generate(p *plan.Plan, o FromPlan) ([]byte, error) {
	svc, err := p.Find(o.Service)
	if err != nil {
		return nil, err
	}
	if len(svc.Routes) == 0 {
		return nil, fmt.Errorf("%w: %q serves no HTTP routes in the plan: pick a service with routes (%s)", ErrNoRoutes, o.Service, strings.Join(servicesWithRoutes(p), ", "))
	}
	if err := o.defaultsAndCheck(); err != nil {
		return nil, err
	}
	rollout, err := rolloutYAML(o)
	if err != nil {
		return nil, err
	}
	paths, grpc, unknown := planPaths(svc.Routes)
	if len(paths) == 0 {
		return nil, fmt.Errorf("%w: every route of %q is mounted under a prefix carve could not resolve (%s): add the prefix to the plan's routes (e.g. %s) and run again", ErrNoRoutes, o.Service, strings.Join(unknown, ", "), svc.Routes[0].PrefixExpr)
	}
	var b bytes.Buffer
	writeComments(&b, p.Module, o, len(paths), grpc, unknown, rollout != "")
	if err := writeConfig(&b, o, paths, rollout); err != nil {
		return nil, err
	}
	if _, err := Parse("generated", b.Bytes()); err != nil {
		return nil, fmt.Errorf("the generated config is invalid (a bug in carve plan, or routes in the plan that conflict): %w", err)
	}
	return b.Bytes(), nil
}

// defaultsAndCheck fills o's defaults and refuses what cannot make a config.
func (o *FromPlan) defaultsAndCheck() error {
	for _, u := range []struct{ flag, url string }{{"monolith", o.Monolith}, {"target", o.Target}} {
		if u.url != "" && !strings.Contains(u.url, "://") {
			return fmt.Errorf("%s URL %q has no scheme: add http:// (http://%s) or https://", u.flag, u.url, u.url)
		}
		if _, err := ParseTarget(u.url); err != nil {
			return fmt.Errorf("%s URL %q: %w", u.flag, u.url, err)
		}
	}
	o.Listen = cmp.Or(o.Listen, "127.0.0.1:8080")
	if _, _, err := net.SplitHostPort(o.Listen); err != nil {
		return fmt.Errorf("listen address %q: %w: want host:port", o.Listen, err)
	}
	o.AdminListen = cmp.Or(o.AdminListen, DefaultAdminListen)
	o.TokenEnv = cmp.Or(o.TokenEnv, "CARVE_ADMIN_TOKEN")
	o.HealthPath = cmp.Or(o.HealthPath, "/healthz")
	switch {
	case !strings.HasPrefix(o.HealthPath, "/"):
		return fmt.Errorf("health path %q: must start with /", o.HealthPath)
	case o.Weight < 0 || o.Weight > 100:
		return fmt.Errorf("weight %d: want a percentage from 0 to 100", o.Weight)
	case o.Service == "monolith":
		return fmt.Errorf("service name %q is the name of the monolith's upstream: rename the service in the plan", o.Service)
	case o.Shadow < 0 || o.Shadow > 1 || math.IsNaN(o.Shadow):
		return fmt.Errorf("shadow sample %v: want a fraction above 0 and at most 1, e.g. 0.1 to copy one request in ten", o.Shadow)
	}
	return nil
}

// writeComments writes the generated config's opening comments: where it comes from, how to
// shift and roll back, and what it leaves out.
func writeComments(b *bytes.Buffer, module string, o FromPlan, routes int, grpc, unknown []string, rollout bool) {
	fmt.Fprintf(b, "# carve proxy config generated by `carve plan strangler` from the plan of %s:\n", module)
	fmt.Fprintf(b, "# the %d route(s) of service %s move from the monolith to %s.\n", routes, o.Service, o.Target)
	fmt.Fprintf(b, "# Shift traffic with: carve proxy weights %s %s=10 monolith=90\n", o.Service, o.Service)
	fmt.Fprintf(b, "# Roll back with:     carve proxy weights %s %s=0 monolith=100\n", o.Service, o.Service)
	if o.Shadow != 0 {
		fmt.Fprintf(b, "# Shadow traffic: see what differs with carve proxy diff %s\n", o.Service)
	}
	if rollout {
		fmt.Fprintf(b, "# The rollout steps on its own from when the proxy loads this config;\n")
		fmt.Fprintf(b, "# watch and steer it with: carve proxy rollout status|pause|resume|abort %s\n", o.Service)
	}
	if len(grpc) > 0 {
		fmt.Fprintf(b, "# The service serves gRPC (%s): gRPC is HTTP/2, which carve proxy\n", strings.Join(grpc, ", "))
		b.WriteString("# speaks on a TLS listener only; add tls: {cert_file: ..., key_file: ...} and point the\n")
		b.WriteString("# gRPC clients at it.\n")
	}
	if len(unknown) > 0 {
		fmt.Fprintf(b, "# Not moved: %d route(s) mounted under a prefix the plan does not know\n", len(unknown))
		fmt.Fprintf(b, "# (%s); add them by hand with their full path.\n", strings.Join(unknown, ", "))
	}
}

// writeConfig writes the config itself: listeners, the two upstreams, the one route holding
// paths, and the default.
func writeConfig(b *bytes.Buffer, o FromPlan, paths []string, rollout string) error {
	q := quoteIfNeeded
	fmt.Fprintf(b, "listen: %s\n", q(o.Listen))
	fmt.Fprintf(b, "admin: {listen: %s, token_env: %s}\n", q(o.AdminListen), q(o.TokenEnv))
	b.WriteString("upstreams:\n")
	fmt.Fprintf(b, "  monolith:\n    targets: [%s]\n    health: {path: %s, interval: 2s, healthy: 1, unhealthy: 3}\n", q(o.Monolith), q(o.HealthPath))
	fmt.Fprintf(b, "  %s:\n    targets: [%s]\n    health: {path: %s, interval: 2s, healthy: 1, unhealthy: 3}\n", q(o.Service), q(o.Target), q(o.HealthPath))
	b.WriteString("routes:\n")
	fmt.Fprintf(b, "  - name: %s\n", q(o.Service))
	b.WriteString("    match:\n      paths:\n")
	for _, pt := range paths {
		fmt.Fprintf(b, "        - %s\n", q(pt))
	}
	fmt.Fprintf(b, "    split: {%s: %d, monolith: %d}\n", q(o.Service), o.Weight, 100-o.Weight)
	fmt.Fprintf(b, "    sticky: {cookie: %s}\n", q("carve-"+o.Service))
	if len(o.Watermarks) > 0 {
		if err := writeReadYourWrites(b, o); err != nil {
			return err
		}
	}
	if o.Shadow != 0 {
		fmt.Fprintf(b, "    shadow: {upstream: %s, sample: %s}\n", q(o.Service), formatFloat(o.Shadow))
	}
	b.WriteString(rollout)
	b.WriteString("default: monolith\n")
	return nil
}

// writeReadYourWrites writes a route's read_your_writes: users stay on the side of their last
// write until the sync toward the other side has applied it.
func writeReadYourWrites(b *bytes.Buffer, o FromPlan) error {
	env := o.RYWSecretEnv
	if env == "" {
		env = "CARVE_RYW_KEY"
	}
	var parts []string
	for _, up := range slices.Sorted(maps.Keys(o.Watermarks)) {
		if up != "monolith" && up != o.Service {
			return fmt.Errorf("sync watermark for %q: name an upstream of the route, monolith or %s", up, o.Service)
		}
		parts = append(parts, fmt.Sprintf("%s: %s", quoteIfNeeded(up), quoteIfNeeded(o.Watermarks[up])))
	}
	fmt.Fprintf(b, "    read_your_writes: {secret_env: %s, max_wait: 5s, watermarks: {%s}}\n", quoteIfNeeded(env), strings.Join(parts, ", "))
	return nil
}

// rolloutYAML is the route's rollout: line for o's rollout fields, "" when none is set.
func rolloutYAML(o FromPlan) (string, error) {
	if len(o.RolloutSteps) == 0 && o.RolloutHold == 0 && len(o.RolloutGates) == 0 {
		return "", nil
	}
	var parts []string
	parts = append(parts, "upstream: "+quoteIfNeeded(o.Service))
	if len(o.RolloutSteps) > 0 {
		steps := make([]string, len(o.RolloutSteps))
		for i, s := range o.RolloutSteps {
			if s < 1 || s > 100 || i > 0 && s <= o.RolloutSteps[i-1] {
				return "", fmt.Errorf("rollout steps %v: step %d is %d; steps are the service's rising percentages from 1 to 100, e.g. 1,5,25,50,100", o.RolloutSteps, i+1, s)
			}
			steps[i] = strconv.Itoa(s)
		}
		parts = append(parts, "steps: ["+strings.Join(steps, ", ")+"]")
	}
	switch {
	case o.RolloutHold < 0:
		return "", fmt.Errorf("rollout hold %v: want a positive duration such as 5m", o.RolloutHold)
	case o.RolloutHold > 0:
		parts = append(parts, "hold: "+o.RolloutHold.String())
	}
	var gates []string
	seen := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(o.RolloutGates)) {
		name, v := strings.ReplaceAll(strings.TrimSpace(k), "-", "_"), strings.TrimSpace(o.RolloutGates[k])
		if !slices.Contains(RolloutGateNames, name) {
			return "", fmt.Errorf("rollout gate %q: unknown; the gates are %s", k, strings.Join(RolloutGateNames, ", "))
		}
		if prev, ok := seen[name]; ok {
			return "", fmt.Errorf("rollout gate %s given twice (%s and %s): give it once", name, prev, k)
		}
		seen[name] = k
		if name == "min_requests" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return "", fmt.Errorf("rollout gate min_requests=%s: want a whole number of requests from 1, e.g. min_requests=100", v)
			}
			gates = append(gates, name+": "+strconv.Itoa(n))
			continue
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || !(f > 0) || math.IsInf(f, 0) {
			return "", fmt.Errorf("rollout gate %s=%s: want a positive number, e.g. %s=%s", name, v, name, gateExample[name])
		}
		if name == "max_diff_rate" {
			if f > 1 {
				return "", fmt.Errorf("rollout gate max_diff_rate=%s: want the fraction of shadow copies that may differ, from 0 to 1, e.g. max_diff_rate=0.01", v)
			}
			if o.Shadow == 0 {
				return "", fmt.Errorf("rollout gate max_diff_rate=%s: the diff rate comes from shadow traffic: add a shadow sample (e.g. 0.1)", v)
			}
		}
		gates = append(gates, name+": "+formatFloat(f))
	}
	if len(gates) > 0 {
		parts = append(parts, "gates: {"+strings.Join(gates, ", ")+"}")
	}
	return "    rollout: {" + strings.Join(parts, ", ") + "}\n", nil
}

// gateExample is a sensible value of each ratio gate, for an error message.
var gateExample = map[string]string{"max_diff_rate": "0.01", "max_error_rate_ratio": "2", "max_p99_ratio": "1.5"}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// planPaths returns the ServeMux patterns of a service's routes, sorted and without repeats:
// a gRPC service as the path prefix /package.Service/ (listed in grpc too). Routes whose prefix
// could not be resolved are left out (their pattern is not the path clients use) and listed in
// unknown with the prefix expression.
func planPaths(routes []plan.Route) (paths, grpc, unknown []string) {
	for _, r := range routes {
		switch {
		case r.PrefixUnresolved:
			unknown = append(unknown, fmt.Sprintf("%s under %s", RoutePattern(r), r.PrefixExpr))
		case r.Router == "grpc":
			grpc = append(grpc, r.Pattern)
			paths = append(paths, r.Pattern)
		default:
			paths = append(paths, RoutePattern(r))
		}
	}
	for _, s := range []*[]string{&paths, &grpc, &unknown} {
		slices.Sort(*s)
		*s = slices.Compact(*s)
	}
	return paths, grpc, unknown
}

// RoutePattern is a plan route as a ServeMux pattern: [METHOD ][HOST]/PATH.
func RoutePattern(r plan.Route) string {
	pt := r.Host + r.Pattern
	if r.Method != "" {
		pt = r.Method + " " + pt
	}
	return pt
}

func servicesWithRoutes(p *plan.Plan) []string {
	var names []string
	for _, s := range p.Services {
		if len(s.Routes) > 0 {
			names = append(names, s.Name)
		}
	}
	slices.Sort(names)
	return names
}

// quoteIfNeeded writes a YAML scalar plainly when it is a simple word, else double-quoted.
func quoteIfNeeded(s string) string {
	if s == "" || strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' || r == '/')
	}) || s == "true" || s == "false" || s == "null" || s == "yes" || s == "no" || s == "on" || s == "off" || (s[0] >= '0' && s[0] <= '9') {
		return strconv.Quote(s)
	}
	return s
}

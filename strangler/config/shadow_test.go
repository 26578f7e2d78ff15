package config

import (
	"strings"
	"testing"
	"time"
)

// withRoute adds lines under the route of goodConfig (line 11 onwards).
func withRoute(lines string) string {
	return strings.Replace(goodConfig, "    sticky: {cookie: carve-orders}\n", "    sticky: {cookie: carve-orders}\n"+lines, 1)
}

func TestShadowAndRolloutDefaults(t *testing.T) {
	c, err := Parse("s.yaml", []byte(withRoute("    shadow: {upstream: orders, sample: 0.1}\n    rollout: {hold: 1m}\n")))
	if err != nil {
		t.Fatal(err)
	}
	s, ro := c.Routes[0].Shadow, c.Routes[0].Rollout
	if strings.Join(s.Methods, ",") != "GET,HEAD" || s.Queue != DefaultShadowQueue || s.Concurrency != DefaultShadowConcurrency ||
		s.MaxBodyBytes != DefaultShadowMaxBodyBytes || *s.Noise != DefaultShadowNoise || s.Headers[0] != "Content-Type" {
		t.Errorf("shadow defaults: %+v", s)
	}
	if ro.Upstream != "orders" || len(ro.Steps) != 5 || ro.Hold.D() != time.Minute || ro.Gates.MinRequests != DefaultRolloutMinRequests ||
		ro.Gates.MaxErrorRateRatio != DefaultMaxErrorRateRatio {
		t.Errorf("rollout defaults: %+v", ro)
	}
}

// Bad shadow and rollout settings are refused with their file:line.
func TestShadowAndRolloutBad(t *testing.T) {
	cases := []struct{ name, lines, want string }{
		{"shadow unknown upstream", "    shadow: {upstream: payments, sample: 0.1}\n", `s.yaml:11: routes[0].shadow.upstream: unknown upstream "payments"`},
		{"shadow without upstream", "    shadow: {sample: 0.1}\n", "s.yaml:11: routes[0].shadow.upstream: missing"},
		{"shadow sample", "    shadow:\n      upstream: orders\n      sample: 1.5\n", "s.yaml:13: routes[0].shadow.sample: 1.5 is not a fraction above 0"},
		{"shadow no sample", "    shadow: {upstream: orders}\n", "s.yaml:11: routes[0].shadow.sample: 0 is not a fraction above 0"},
		{"shadow unsafe method", "    shadow:\n      upstream: orders\n      sample: 0.1\n      methods: [GET, POST]\n", "s.yaml:14: routes[0].shadow.methods[1]: POST writes"},
		{"shadow bad queue", "    shadow: {upstream: orders, sample: 0.1, queue: -1}\n", "s.yaml:11: routes[0].shadow.queue: must be positive"},
		{"shadow unknown key", "    shadow: {upstream: orders, sample: 0.1, rate: 2}\n", `s.yaml:11: routes[0].shadow: unknown key "rate"`},
		{"rollout falling steps", "    rollout:\n      steps: [5, 1, 100]\n", "s.yaml:12: routes[0].rollout.steps[1]: 1: steps are rising percentages"},
		{"rollout step over 100", "    rollout: {steps: [50, 150]}\n", "s.yaml:11: routes[0].rollout.steps[1]: 150"},
		{"rollout bad candidate", "    rollout: {upstream: monolith2}\n", `s.yaml:11: routes[0].rollout.upstream: a rollout moves weight between two upstreams`},
		{"rollout bad gate", "    rollout:\n      gates: {max_diff_rate: 5}\n", "s.yaml:12: routes[0].rollout.gates.max_diff_rate: 5 is not a fraction"},
		{"rollout negative gate", "    rollout:\n      gates:\n        min_requests: -3\n", "s.yaml:13: routes[0].rollout.gates.min_requests: must be positive"},
		{"rollout bad hold", "    rollout: {hold: soon}\n", `s.yaml:11: routes[0].rollout.hold: bad duration "soon"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("s.yaml", []byte(withRoute(c.lines)))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v\nwant it to contain %q", err, c.want)
			}
		})
	}
}

package config

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Shadow is a route's shadow traffic: a sampled copy of its requests goes to a candidate
// upstream after the primary answered, and the two answers are compared.
type Shadow struct {
	// Upstream is the candidate the copies go to, e.g. "orders".
	Upstream string `yaml:"upstream"`
	// Sample is the fraction of the route's requests copied, above 0 and at most 1.
	Sample float64 `yaml:"sample"`
	// Methods are the request methods copied (default [GET, HEAD]). Any other method (POST,
	// PUT, DELETE...) writes twice and needs Unsafe.
	Methods []string `yaml:"methods"`
	// Unsafe allows methods other than GET, HEAD and OPTIONS in Methods.
	Unsafe bool `yaml:"unsafe"`
	// Headers are the response headers compared (default [Content-Type]).
	Headers []string `yaml:"headers"`
	// Noise is the fraction of copies that also call the primary a second time, to learn the
	// fields that differ between two healthy primary answers (default 0.1; the first
	// NoiseWarmup copies always do). After the warm-up only a copy whose candidate answered
	// otherwise, in a field not yet known as noise, is a candidate for it.
	Noise *float64 `yaml:"noise"`
	// NoiseWarmup is how many copies call the primary twice, each at once, before Noise
	// applies (default 20).
	NoiseWarmup int `yaml:"noise_warmup"`
	// Concurrency bounds the copies in flight (default 4).
	Concurrency int `yaml:"concurrency"`
	// Queue bounds the copies waiting; a copy finding it full is dropped and counted
	// (default 64).
	Queue int `yaml:"queue"`
	// MaxBodyBytes bounds the request and response bodies kept for a copy; a larger exchange
	// is not copied, and counted (default 1 MiB).
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// Timeout bounds one copy's call (default 10s).
	Timeout Duration `yaml:"timeout"`
}

// Shadow defaults.
const (
	DefaultShadowNoise        = 0.1
	DefaultShadowNoiseWarmup  = 20
	DefaultShadowConcurrency  = 4
	DefaultShadowQueue        = 64
	DefaultShadowMaxBodyBytes = 1 << 20
	DefaultShadowTimeout      = 10 * time.Second
)

// safeMethods may be copied without opting in: they do not write.
var safeMethods = []string{http.MethodGet, http.MethodHead, http.MethodOptions}

func (c *Config) validateShadow(p string, r *Route) {
	s := r.Shadow
	if s == nil {
		return
	}
	switch _, ok := c.Upstreams[s.Upstream]; {
	case s.Upstream == "":
		c.problem(p+".upstream", "missing: name the candidate upstream the copies go to")
	case !ok:
		c.problem(p+".upstream", "unknown upstream %q: define it under upstreams", s.Upstream)
	}
	if !(s.Sample > 0 && s.Sample <= 1) {
		c.problem(p+".sample", "%v is not a fraction above 0: write e.g. 0.1 to copy one request in ten", s.Sample)
	}
	for i, m := range s.Methods {
		if !slices.Contains(safeMethods, m) && !s.Unsafe {
			c.problem(fmt.Sprintf("%s.methods[%d]", p, i), "%s writes: copying it makes the candidate write too; set shadow.unsafe: true if the candidate writes to a store of its own", m)
		}
	}
	for i, h := range s.Headers {
		if !validHeaderName(h) {
			c.problem(fmt.Sprintf("%s.headers[%d]", p, i), "bad header name %q", h)
		}
	}
	if n := *s.Noise; !(n >= 0 && n <= 1) {
		c.problem(p+".noise", "%v is not a fraction: write a number from 0 to 1", n)
	}
	positive(c, p+".noise_warmup", s.NoiseWarmup)
	positive(c, p+".concurrency", s.Concurrency)
	positive(c, p+".queue", s.Queue)
	positive(c, p+".max_body_bytes", s.MaxBodyBytes)
}

// positive records a problem when a value that defaults from 0 was set below it.
func positive[T int | int64 | float64](c *Config, path string, v T) {
	if v < 0 {
		c.problem(path, "must be positive")
	}
}

// Rollout raises a candidate upstream's share of a route step by step on its own, holding each
// step and checking gates computed over the hold; a failing gate rolls back to the last good
// step and pauses.
type Rollout struct {
	// Upstream is the candidate (default: the shadow upstream, else the split's upstream that
	// is not the default one). The split must have exactly two upstreams.
	Upstream string `yaml:"upstream"`
	// Steps are the candidate's percentages, rising, each from 1 to 100 (default
	// [1, 5, 25, 50, 100]).
	Steps []int `yaml:"steps"`
	// Hold is how long each step is held and measured before the next (default 5m).
	Hold Duration `yaml:"hold"`
	// Gates must all pass over a hold for the rollout to step on.
	Gates Gates `yaml:"gates"`
}

// Gates are a rollout's checks over one hold window.
type Gates struct {
	// MaxErrorRateRatio bounds the candidate's error rate (5xx and failed connections) over
	// the primary's (default 2). The primary's rate counts as at least 0.5%, so a primary
	// without errors still allows the candidate 1% by default.
	MaxErrorRateRatio float64 `yaml:"max_error_rate_ratio"`
	// MaxP99Ratio bounds the candidate's p99 latency over the primary's (default 1.5). The
	// primary's p99 counts as at least 5ms.
	MaxP99Ratio float64 `yaml:"max_p99_ratio"`
	// MaxDiffRate bounds the share of shadow copies that differ (default 0.01; only with
	// shadow).
	MaxDiffRate float64 `yaml:"max_diff_rate"`
	// MinRequests is the candidate's requests a hold needs before it is judged (default 100);
	// with fewer the step is held again.
	MinRequests int `yaml:"min_requests"`
}

// Rollout defaults.
const (
	DefaultRolloutHold        = 5 * time.Minute
	DefaultMaxErrorRateRatio  = 2
	DefaultMaxP99Ratio        = 1.5
	DefaultMaxDiffRate        = 0.01
	DefaultRolloutMinRequests = 100
)

func (c *Config) validateRollout(p string, r *Route) {
	ro := r.Rollout
	if ro == nil {
		return
	}
	if _, ok := r.Split[ro.Upstream]; len(r.Split) != 2 || !ok {
		c.problem(p+".upstream", "a rollout moves weight between two upstreams: give the route a split of exactly two, the candidate %q among them", ro.Upstream)
	}
	for i, s := range ro.Steps {
		if s < 1 || s > 100 || i > 0 && s <= ro.Steps[i-1] {
			c.problem(fmt.Sprintf("%s.steps[%d]", p, i), "%d: steps are rising percentages from 1 to 100, e.g. [1, 5, 25, 50, 100]", s)
		}
	}
	g := ro.Gates
	positive(c, p+".gates.max_error_rate_ratio", g.MaxErrorRateRatio)
	positive(c, p+".gates.max_p99_ratio", g.MaxP99Ratio)
	positive(c, p+".gates.max_diff_rate", g.MaxDiffRate)
	if g.MaxDiffRate > 1 {
		c.problem(p+".gates.max_diff_rate", "%v is not a fraction: write e.g. 0.01", g.MaxDiffRate)
	}
	positive(c, p+".gates.min_requests", g.MinRequests)
}

// defaults fills what the shadow block leaves out (the figures are the Default* constants above).
func (s *Shadow) defaults() {
	if len(s.Methods) == 0 {
		s.Methods = []string{http.MethodGet, http.MethodHead}
	}
	for i, m := range s.Methods {
		s.Methods[i] = strings.ToUpper(m)
	}
	if len(s.Headers) == 0 {
		s.Headers = []string{"Content-Type"}
	}
	for i, h := range s.Headers {
		if validHeaderName(h) {
			s.Headers[i] = http.CanonicalHeaderKey(h)
		}
	}
	if s.Noise == nil {
		s.Noise = ptr(DefaultShadowNoise)
	}
	orInt(&s.NoiseWarmup, DefaultShadowNoiseWarmup)
	orInt(&s.Concurrency, DefaultShadowConcurrency)
	orInt(&s.Queue, DefaultShadowQueue)
	orInt(&s.MaxBodyBytes, DefaultShadowMaxBodyBytes)
	orDuration(&s.Timeout, DefaultShadowTimeout)
}

// defaults picks the rollout's candidate when the file names none: the shadow's upstream,
// else the one of a split of two that is not the default upstream.
func (ro *Rollout) defaults(r *Route, def string) {
	if ro.Upstream == "" && r.Shadow != nil {
		ro.Upstream = r.Shadow.Upstream
	}
	if ro.Upstream == "" && len(r.Split) == 2 {
		for name := range r.Split {
			if name != def {
				ro.Upstream = name
			}
		}
	}
	if len(ro.Steps) == 0 {
		ro.Steps = []int{1, 5, 25, 50, 100}
	}
	orDuration(&ro.Hold, DefaultRolloutHold)
	g := &ro.Gates
	orFloat(&g.MaxErrorRateRatio, DefaultMaxErrorRateRatio)
	orFloat(&g.MaxP99Ratio, DefaultMaxP99Ratio)
	orFloat(&g.MaxDiffRate, DefaultMaxDiffRate)
	orInt(&g.MinRequests, DefaultRolloutMinRequests)
}

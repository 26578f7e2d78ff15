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
	// NoiseWarmup copies always do).
	Noise *float64 `yaml:"noise"`
	// NoiseWarmup is how many copies call the primary twice before Noise applies (default 20).
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

func (c *Config) validateShadow(p string, r *Route, add func(error)) {
	s := r.Shadow
	if s == nil {
		return
	}
	switch _, ok := c.Upstreams[s.Upstream]; {
	case s.Upstream == "":
		add(c.errf(p+".upstream", "missing: name the candidate upstream the copies go to"))
	case !ok:
		add(c.errf(p+".upstream", "unknown upstream %q: define it under upstreams", s.Upstream))
	}
	if !(s.Sample > 0 && s.Sample <= 1) {
		add(c.errf(p+".sample", "%v is not a fraction above 0: write e.g. 0.1 to copy one request in ten", s.Sample))
	}
	if len(s.Methods) == 0 {
		s.Methods = []string{http.MethodGet, http.MethodHead}
	}
	for i, m := range s.Methods {
		s.Methods[i] = strings.ToUpper(m)
		if !slices.Contains(safeMethods, s.Methods[i]) && !s.Unsafe {
			add(c.errf(fmt.Sprintf("%s.methods[%d]", p, i), "%s writes: copying it makes the candidate write too; set shadow.unsafe: true if the candidate writes to a store of its own", s.Methods[i]))
		}
	}
	if len(s.Headers) == 0 {
		s.Headers = []string{"Content-Type"}
	}
	for i, h := range s.Headers {
		if h == "" || strings.ContainsAny(h, " :\t\r\n") {
			add(c.errf(fmt.Sprintf("%s.headers[%d]", p, i), "bad header name %q", h))
		}
		s.Headers[i] = http.CanonicalHeaderKey(h)
	}
	if s.Noise == nil {
		n := DefaultShadowNoise
		s.Noise = &n
	} else if n := *s.Noise; !(n >= 0 && n <= 1) {
		add(c.errf(p+".noise", "%v is not a fraction: write a number from 0 to 1", n))
	}
	defaultInt(&s.NoiseWarmup, DefaultShadowNoiseWarmup, c.errf(p+".noise_warmup", "must be positive"), add)
	defaultInt(&s.Concurrency, DefaultShadowConcurrency, c.errf(p+".concurrency", "must be positive"), add)
	defaultInt(&s.Queue, DefaultShadowQueue, c.errf(p+".queue", "must be positive"), add)
	switch {
	case s.MaxBodyBytes == 0:
		s.MaxBodyBytes = DefaultShadowMaxBodyBytes
	case s.MaxBodyBytes < 0:
		add(c.errf(p+".max_body_bytes", "must be positive"))
	}
	if s.Timeout == 0 {
		s.Timeout = Duration(DefaultShadowTimeout)
	}
}

// defaultInt sets *v to def when it is 0 and adds bad when it is negative.
func defaultInt(v *int, def int, bad error, add func(error)) {
	switch {
	case *v == 0:
		*v = def
	case *v < 0:
		add(bad)
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

func (c *Config) validateRollout(p string, r *Route, add func(error)) {
	ro := r.Rollout
	if ro == nil {
		return
	}
	if ro.Upstream == "" && r.Shadow != nil {
		ro.Upstream = r.Shadow.Upstream
	}
	if ro.Upstream == "" && len(r.Split) == 2 {
		for name := range r.Split {
			if name != c.Default {
				ro.Upstream = name
			}
		}
	}
	if _, ok := r.Split[ro.Upstream]; len(r.Split) != 2 || !ok {
		add(c.errf(p+".upstream", "a rollout moves weight between two upstreams: give the route a split of exactly two, the candidate %q among them", ro.Upstream))
	}
	if len(ro.Steps) == 0 {
		ro.Steps = []int{1, 5, 25, 50, 100}
	}
	for i, s := range ro.Steps {
		if s < 1 || s > 100 || i > 0 && s <= ro.Steps[i-1] {
			add(c.errf(fmt.Sprintf("%s.steps[%d]", p, i), "%d: steps are rising percentages from 1 to 100, e.g. [1, 5, 25, 50, 100]", s))
		}
	}
	if ro.Hold == 0 {
		ro.Hold = Duration(DefaultRolloutHold)
	}
	g := &ro.Gates
	defaultFloat(&g.MaxErrorRateRatio, DefaultMaxErrorRateRatio, c.errf(p+".gates.max_error_rate_ratio", "must be positive"), add)
	defaultFloat(&g.MaxP99Ratio, DefaultMaxP99Ratio, c.errf(p+".gates.max_p99_ratio", "must be positive"), add)
	defaultFloat(&g.MaxDiffRate, DefaultMaxDiffRate, c.errf(p+".gates.max_diff_rate", "must be positive"), add)
	if g.MaxDiffRate > 1 {
		add(c.errf(p+".gates.max_diff_rate", "%v is not a fraction: write e.g. 0.01", g.MaxDiffRate))
	}
	defaultInt(&g.MinRequests, DefaultRolloutMinRequests, c.errf(p+".gates.min_requests", "must be positive"), add)
}

func defaultFloat(v *float64, def float64, bad error, add func(error)) {
	switch {
	case *v == 0:
		*v = def
	case *v < 0:
		add(bad)
	}
}

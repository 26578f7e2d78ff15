package config

import (
	"cmp"
	"strings"
	"time"
)

// Defaults of a proxy config (docs/strangler.md lists them with every key).
const (
	DefaultAdminListen    = "127.0.0.1:9901"
	DefaultMaxIdlePerHost = 1024
)

// defaults fills what the file left out, next to nothing else: validate then only reads.
// Values that are 0 mean "the default" except where a field's doc says otherwise.
func (c *Config) defaults() {
	c.Server.defaults()
	c.Admin.Listen = cmp.Or(c.Admin.Listen, DefaultAdminListen)
	if c.AccessLog.Sample == nil {
		c.AccessLog.Sample = ptr(1.0)
	}
	orDuration(&c.Shutdown.Timeout, 30*time.Second)
	c.Transport.defaults()
	for _, u := range c.Upstreams {
		if u != nil {
			u.defaults()
		}
	}
	for _, r := range c.Routes {
		if r != nil {
			r.defaults(c.Default)
		}
	}
	c.Store.defaults()
}

func (s *Server) defaults() {
	orDuration(&s.ReadHeaderTimeout, 10*time.Second)
	orDuration(&s.IdleTimeout, 120*time.Second)
	orInt(&s.MaxHeaderBytes, 64<<10)
	s.PathPolicy = cmp.Or(s.PathPolicy, PathReject)
	orDuration(&s.BodyTimeout, 60*time.Second)
	orInt(&s.BodyMinRate, 1024)
}

func (t *Transport) defaults() {
	orDuration(&t.DialTimeout, 5*time.Second)
	orDuration(&t.ResponseHeaderTimeout, 60*time.Second)
	orDuration(&t.IdleConnTimeout, 90*time.Second)
	orInt(&t.MaxIdleConnsPerHost, DefaultMaxIdlePerHost)
}

func (u *Upstream) defaults() {
	if u.Etcd != nil {
		orDuration(&u.Etcd.DialTimeout, 5*time.Second)
	}
	u.Balance = cmp.Or(u.Balance, "round_robin")
	if u.DNS != nil {
		orDuration(&u.DNS.Interval, 30*time.Second)
		u.DNS.Network = cmp.Or(u.DNS.Network, "ip")
	}
	if h := u.Health; h != nil {
		orDuration(&h.Interval, 5*time.Second)
		orDuration(&h.Timeout, 2*time.Second)
		orInt(&h.Healthy, 2)
		orInt(&h.Unhealthy, 3)
	}
	orInt(&u.Passive.Failures, 5)
	orDuration(&u.Passive.Eject, 10*time.Second)
}

// defaults fills a route's; def is the config's default upstream, which a rollout's candidate
// is not.
func (r *Route) defaults(def string) {
	if r.Retries == nil {
		r.Retries = ptr(1)
	}
	if ryw := r.ReadYourWrites; ryw != nil {
		ryw.Cookie = cmp.Or(ryw.Cookie, "carve_ryw")
		orDuration(&ryw.MaxWait, 5*time.Second)
	}
	if r.Shadow != nil {
		r.Shadow.defaults()
	}
	if r.Rollout != nil {
		r.Rollout.defaults(r, def)
	}
}

func (s *Store) defaults() {
	switch {
	case s == nil:
	case s.Etcd != nil:
		if len(s.Etcd.Key) > 1 {
			s.Etcd.Key = strings.TrimSuffix(s.Etcd.Key, "/")
		}
		orDuration(&s.Etcd.Poll, time.Second)
		orDuration(&s.Etcd.DialTimeout, 5*time.Second)
	case s.DynamoDB != nil:
		orDuration(&s.DynamoDB.Poll, 2*time.Second)
	}
}

func ptr[T any](v T) *T { return &v }

func orDuration(d *Duration, v time.Duration) {
	if d.Duration == 0 {
		d.Duration = v
	}
}

// orInt sets *n to v when it is 0.
func orInt[T int | int64](n *T, v T) {
	if *n == 0 {
		*n = v
	}
}

func orFloat(f *float64, v float64) {
	if *f == 0 {
		*f = v
	}
}

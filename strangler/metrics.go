package strangler

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are one proxy's Prometheus metrics, on a registry of its own (never the global one).
// Names follow carve_proxy_<name>_<unit>; counters end in _total.
type metrics struct {
	reg         *prometheus.Registry
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	reloads     *prometheus.CounterVec
	unavailable *prometheus.CounterVec
	retries     *prometheus.CounterVec
	weightSets  *prometheus.CounterVec
	rywHeld     *prometheus.CounterVec
	rywForced   *prometheus.CounterVec

	shadowCompared, shadowDiffering, shadowFields, shadowDropped *prometheus.CounterVec
	rolloutStep                                                  *prometheus.GaugeVec
	rolloutRollbacks                                             *prometheus.CounterVec
}

// statusClasses index the per-route counters: 0 is a request that got no status (the client
// went away), 1..5 the status classes.
var statusClasses = [6]string{"none", "1xx", "2xx", "3xx", "4xx", "5xx"}

func newMetrics(p *Proxy) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = counterVec("carve_proxy_requests_total", "Requests proxied, by route, upstream and status class.", "route", "upstream", "class")
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "carve_proxy_request_duration_seconds",
		Help:    "Time from receiving a request's headers to the end of its response, by route.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"route"})
	m.reloads = counterVec("carve_proxy_config_reloads_total", "Config reloads by result (success, failure).", "result")
	m.unavailable = counterVec("carve_proxy_upstream_unavailable_total", "Requests refused because no target of the chosen upstream was available.", "route", "upstream")
	m.retries = counterVec("carve_proxy_retries_total", "Requests retried on another target after a connection failure.", "route", "upstream")
	m.weightSets = counterVec("carve_proxy_weight_changes_total", "Route weight changes by source (admin, store, file).", "route", "source")
	m.rywHeld = counterVec("carve_proxy_ryw_held_total", "Requests kept on the side of the user's last write because the sync toward the side the split picks had not applied it.", "route")
	m.rywForced = counterVec("carve_proxy_ryw_forced_total", "Requests moved to the side the split picks after read_your_writes.max_wait with the sync still behind the user's last write.", "route")
	m.shadowCompared = counterVec("carve_proxy_shadow_compared_total", "Shadow copies whose candidate answer was compared with the primary's, by route.", "route")
	m.shadowDiffering = counterVec("carve_proxy_shadow_differing_total", "Shadow copies whose candidate answer differed from the primary's in a field that is not noise, by route.", "route")
	m.shadowFields = counterVec("carve_proxy_shadow_field_differences_total", "Differences by route and field (status, header:NAME, body, or a JSON path with [*] for indexes).", "route", "field")
	m.shadowDropped = counterVec("carve_proxy_shadow_dropped_total", "Sampled shadow copies not compared, by route and reason (queue_full, body_too_large).", "route", "reason")
	m.rolloutStep = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "carve_proxy_rollout_step", Help: "The candidate's percentage of a route under an automatic rollout."}, []string{"route"})
	m.rolloutRollbacks = counterVec("carve_proxy_rollout_rollbacks_total", "Automatic rollbacks of a route's rollout by failing gate.", "route", "gate")
	m.reg.MustRegister(m.shadowCompared, m.shadowDiffering, m.shadowFields, m.shadowDropped, m.rolloutStep, m.rolloutRollbacks)
	m.reloads.WithLabelValues("success")
	m.reloads.WithLabelValues("failure")
	m.reg.MustRegister(m.requests, m.duration, m.reloads, m.unavailable, m.retries, m.weightSets, m.rywHeld, m.rywForced,
		&stateCollector{p: p},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// stateCollector reports gauges read from the live config at scrape time, so a reload never
// leaves stale series behind.
type stateCollector struct{ p *Proxy }

var (
	healthDesc = prometheus.NewDesc("carve_proxy_upstream_healthy",
		"1 when a target is available (passes active checks and is not ejected), else 0.",
		[]string{"upstream", "target"}, nil)
	weightDesc = prometheus.NewDesc("carve_proxy_route_weight",
		"Current weight of an upstream in a route's split.", []string{"route", "upstream"}, nil)
	inflightDesc = prometheus.NewDesc("carve_proxy_upstream_inflight_requests",
		"Requests being forwarded to a target.", []string{"upstream", "target"}, nil)
)

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- healthDesc
	ch <- weightDesc
	ch <- inflightDesc
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	rt := c.p.rt.Load()
	if rt == nil {
		return
	}
	for _, u := range rt.upstreamStatus() {
		for _, t := range u.Targets {
			v := 0.0
			if t.Available {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(healthDesc, prometheus.GaugeValue, v, u.Name, t.URL)
			ch <- prometheus.MustNewConstMetric(inflightDesc, prometheus.GaugeValue, float64(t.InFlight), u.Name, t.URL)
		}
	}
	for _, lr := range rt.all() {
		st := lr.state.Load()
		for i := 0; i < st.split.Len(); i++ {
			ch <- prometheus.MustNewConstMetric(weightDesc, prometheus.GaugeValue, float64(st.split.Weight(i)), lr.name, st.split.Name(i))
		}
	}
}

// counterVec is a counter vector with the given name, help and labels.
func counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
}

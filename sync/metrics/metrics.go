// Package metrics is one sync job's Prometheus metrics, in a registry of its own (no global
// state), named carve_sync_<name>_<unit>.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are a job's metrics.
type Metrics struct {
	Registry *prometheus.Registry
	// Applied counts records applied to a sink, by pipeline and shard.
	Applied *prometheus.CounterVec
	// Skipped counts records not written, by pipeline and reason (filtered, echo, stale).
	Skipped *prometheus.CounterVec
	// Lag is now minus the last applied record's ApproximateCreationDateTime, by shard.
	Lag *prometheus.GaugeVec
	// BatchSeconds is the time to apply one batch to one pipeline's sink.
	BatchSeconds *prometheus.HistogramVec
	// Retries counts retried sink writes and stream calls, by pipeline ("stream" for reads).
	Retries *prometheus.CounterVec
	// DeadLettered counts records sent to the dead-letter store, by pipeline.
	DeadLettered *prometheus.CounterVec
	// Leases is the number of shard leases this worker holds.
	Leases prometheus.Gauge
	// ShardErrors counts shards stopped by an error (trimmed data, shard gone), by reason.
	ShardErrors *prometheus.CounterVec
}

// New creates the metrics in a fresh registry (with Go and process collectors).
func New() *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		Registry: r,
		Applied: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "carve_sync_records_applied_total",
			Help: "Records applied to a sink, by pipeline and shard."}, []string{"pipeline", "shard"}),
		Skipped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "carve_sync_records_skipped_total",
			Help: "Records not written: filtered out, sync's own echo, or older than the sink's version."}, []string{"pipeline", "reason"}),
		Lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "carve_sync_replication_lag_seconds",
			Help: "Now minus the ApproximateCreationDateTime of the last applied record, by shard."}, []string{"shard"}),
		BatchSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "carve_sync_batch_duration_seconds",
			Help: "Time to apply one batch to a pipeline's sink.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 15)}, []string{"pipeline"}),
		Retries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "carve_sync_retries_total",
			Help: "Retried sink writes (by pipeline) and stream calls (pipeline=stream)."}, []string{"pipeline"}),
		DeadLettered: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "carve_sync_dead_lettered_total",
			Help: "Records written to the dead-letter store, by pipeline."}, []string{"pipeline"}),
		Leases: prometheus.NewGauge(prometheus.GaugeOpts{Name: "carve_sync_leases_held",
			Help: "Shard leases this worker holds."}),
		ShardErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "carve_sync_shard_errors_total",
			Help: "Shards stopped by an error, by reason (trimmed, gone)."}, []string{"reason"}),
	}
	r.MustRegister(m.Applied, m.Skipped, m.Lag, m.BatchSeconds, m.Retries, m.DeadLettered, m.Leases, m.ShardErrors,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

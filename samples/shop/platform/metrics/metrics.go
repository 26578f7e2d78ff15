// Package metrics is a tiny in-process counter registry. Default is a package-level registry
// that every domain increments directly (metrics.Default.Inc("orders_placed_total")) and that
// the router exposes at /debug/metrics.
package metrics

import (
	"encoding/json"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
)

// Registry holds named counters.
type Registry struct {
	mu       sync.RWMutex
	counters map[string]*atomic.Int64
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{counters: map[string]*atomic.Int64{}} }

// Default is the process-wide registry.
var Default = NewRegistry()

func (r *Registry) counter(name string) *atomic.Int64 {
	r.mu.RLock()
	c, ok := r.counters[name]
	r.mu.RUnlock()
	if ok {
		return c
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok = r.counters[name]; !ok {
		c = new(atomic.Int64)
		r.counters[name] = c
	}
	return c
}

// Inc adds one to the named counter.
func (r *Registry) Inc(name string) { r.counter(name).Add(1) }

// Add adds n to the named counter.
func (r *Registry) Add(name string, n int64) { r.counter(name).Add(n) }

// Value returns the named counter's value (0 if it was never touched).
func (r *Registry) Value(name string) int64 {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if c, ok := r.counters[name]; ok {
		return c.Load()
	}
	return 0
}

// Snapshot returns every counter's current value.
func (r *Registry) Snapshot() map[string]int64 {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make(map[string]int64, len(r.counters))
	for name, c := range r.counters {
		out[name] = c.Load()
	}
	return out
}

// Names returns the counters' names, sorted.
func (r *Registry) Names() []string {
	snap := r.Snapshot()
	names := make([]string, 0, len(snap))
	for n := range snap {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Handler serves the registry's snapshot as a JSON object.
func (r *Registry) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(r.Snapshot())
	})
}

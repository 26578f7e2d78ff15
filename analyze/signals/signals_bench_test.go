package signals

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/carve-dev/carve/analyze/load"
)

// BenchmarkLoadAndCollect loads a module and runs every signal over it. By default the shop
// fixture; CARVE_BENCH_DIR names another module, e.g. one written by carve-gen:
//
//	go run ./samples/gen/cmd/carve-gen -out /tmp/g -k 20 -p 50
//	CARVE_BENCH_DIR=/tmp/g go test -run '^$' -bench LoadAndCollect -benchtime 1x ./analyze/signals
//
// It reports the time of loading and of each signal separately, and the heap in use after.
func BenchmarkLoadAndCollect(b *testing.B) {
	dir := os.Getenv("CARVE_BENCH_DIR")
	if dir == "" {
		dir = filepath.Join("testdata", "shop")
	}
	ctx := context.Background()
	for b.Loop() {
		start := time.Now()
		m, err := load.Load(ctx, dir, load.LoadOptions{})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "load-s")
		for _, s := range Signals() {
			start := time.Now()
			if _, err := Collect(ctx, m, []Signal{s}); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(time.Since(start).Seconds(), s.Name()+"-s")
		}
		b.ReportMetric(float64(len(m.Packages)), "packages")
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MiB")
		runtime.KeepAlive(m)
	}
}

// Command openloop is an open-loop HTTP load generator: it sends GETs at a fixed rate
// whatever the server's latency, and measures each request from the moment it was due, so a
// stalled server shows up as latency instead of as fewer requests (no coordinated omission).
// It prints one line: sent, errors, p50, p90, p99 and max in microseconds.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"
)

func main() {
	url := flag.String("url", "", "URL to GET")
	rate := flag.Int("rate", 1000, "requests per second")
	dur := flag.Duration("d", 8*time.Second, "duration")
	conns := flag.Int("c", 64, "connections (and concurrent requests)")
	flag.Parse()
	if *url == "" || *rate <= 0 {
		fmt.Fprintln(os.Stderr, "openloop: -url and a positive -rate are required")
		os.Exit(2)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: *conns, MaxConnsPerHost: *conns, DisableCompression: true}
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	n := int(float64(*rate) * dur.Seconds())
	due := make(chan time.Time, n)
	lat := make([]time.Duration, 0, n)
	var mu sync.Mutex
	errs := 0
	var wg sync.WaitGroup
	ctx := context.Background()
	for range *conns {
		wg.Go(func() {
			for d := range due {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
				resp, err := client.Do(req)
				ok := err == nil
				if ok {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					ok = resp.StatusCode == 200
				}
				l := time.Since(d)
				mu.Lock()
				if ok {
					lat = append(lat, l)
				} else {
					errs++
				}
				mu.Unlock()
			}
		})
	}
	start := time.Now()
	interval := time.Second / time.Duration(*rate)
	for i := range n {
		at := start.Add(time.Duration(i) * interval)
		if w := time.Until(at); w > 0 {
			time.Sleep(w)
		}
		due <- at
	}
	close(due)
	wg.Wait()
	slices.Sort(lat)
	q := func(p float64) int64 {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()
	}
	fmt.Printf("sent=%d errors=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d\n", n, errs, q(0.50), q(0.90), q(0.99), q(1))
}

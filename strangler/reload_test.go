package strangler

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A hundred reloads while clients keep sending: no request fails, and the weights of the last
// reload are in force.
func TestReloadUnderLoad(t *testing.T) {
	mono, orders := newBackend(t, "monolith"), newBackend(t, "orders")
	r := start(t, twoSided(mono.URL(), orders.URL(), ""), startOpts{env: token})
	stop := make(chan struct{})
	var sent, failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	c := &http.Client{}
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				path := "/catalog"
				if i%2 == 0 {
					path = "/orders/1"
				}
				req, _ := http.NewRequest("GET", r.url+path, nil)
				req.Header.Set("X-User-ID", fmt.Sprint(w, "-", i))
				resp, err := c.Do(req)
				sent.Add(1)
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, resp.Status)
				}
			}
		})
	}
	for i := range 100 {
		// Some requests between any two reloads, however loaded the machine: the load is
		// paced by the requests, not by the clock.
		for at, deadline := sent.Load(), time.Now().Add(30*time.Second); sent.Load() < at+2; {
			if time.Now().After(deadline) {
				t.Fatalf("reload %d: no request got through in 30 s (%d sent so far)", i, sent.Load())
			}
			time.Sleep(100 * time.Microsecond)
		}
		w := i % 101
		yaml := strings.Replace(twoSided(mono.URL(), orders.URL(), ""), "split: {orders: 25, monolith: 75}",
			fmt.Sprintf("split: {orders: %d, monolith: %d}", w, 100-w), 1)
		if err := os.WriteFile(r.file, []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := r.p.ReloadFile(r.file); err != nil {
			t.Fatalf("reload %d: %v", i, err)
		}
	}
	close(stop)
	wg.Wait()
	if failed.Load() != 0 {
		t.Fatalf("%d of %d requests failed during 100 reloads, first: %v", failed.Load(), sent.Load(), firstErr.Load())
	}
	if w := r.p.Routes()[0].Weights; w["orders"] != 99 || w["monolith"] != 1 {
		t.Errorf("weights after the last reload: %v", w)
	}
	if m := scrape(t, r); !strings.Contains(m, `carve_proxy_config_reloads_total{result="success"} 100`) {
		t.Error("100 successful reloads not counted")
	}
}

// An invalid file is refused with its line; the old config keeps serving.
func TestInvalidReloadKeepsServing(t *testing.T) {
	mono, orders := newBackend(t, "monolith"), newBackend(t, "orders")
	good := twoSided(mono.URL(), orders.URL(), "")
	r := start(t, good, startOpts{env: token})
	bad := strings.Replace(good, "split: {orders: 25, monolith: 75}", "split: {orders: 25, payments: 75}", 1)
	os.WriteFile(r.file, []byte(bad), 0o644)
	err := r.p.ReloadFile(r.file)
	if err == nil || !strings.Contains(err.Error(), "strangler.yaml:10: routes[0].split.payments: unknown upstream \"payments\"") {
		t.Fatalf("reload of a bad file: %v", err)
	}
	if _, body := get(t, &http.Client{}, r.url+"/orders/1", map[string]string{"X-User-ID": "u"}); body != "monolith" && body != "orders" {
		t.Errorf("old config stopped serving: %q", body)
	}
	if w := r.p.Routes()[0].Weights; w["orders"] != 25 {
		t.Errorf("weights changed by a refused reload: %v", w)
	}
	m := scrape(t, r)
	if !strings.Contains(m, `carve_proxy_config_reloads_total{result="failure"} 1`) {
		t.Error("failed reload not counted")
	}
	if !strings.Contains(r.logs.String(), "config reload refused") {
		t.Error("refused reload not logged")
	}
}

// Editing the file reloads it (fsnotify on the directory, debounced); the SIGHUP channel
// does too.
func TestWatchAndSignalReload(t *testing.T) {
	mono, orders := newBackend(t, "monolith"), newBackend(t, "orders")
	good := twoSided(mono.URL(), orders.URL(), "")
	r := start(t, good, startOpts{env: token, watch: true})
	next := strings.Replace(good, "split: {orders: 25, monolith: 75}", "split: {orders: 60, monolith: 40}", 1)
	// Write to a temp file and rename over, as editors and ConfigMaps do.
	tmp := r.file + ".tmp"
	os.WriteFile(tmp, []byte(next), 0o644)
	os.Rename(tmp, r.file)
	waitFor(t, "the watcher to reload the edited file", func() bool { return r.p.Routes()[0].Weights["orders"] == 60 })
}

func TestReloadChannel(t *testing.T) {
	mono, orders := newBackend(t, "monolith"), newBackend(t, "orders")
	good := twoSided(mono.URL(), orders.URL(), "")
	dir := t.TempDir()
	file := writeConfig(t, dir, good)
	cfg := mustLoad(t, file)
	p, err := New(cfg, Options{Getenv: func(string) string { return "s3cret" }})
	if err != nil {
		t.Fatal(err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	aln, _ := net.Listen("tcp", "127.0.0.1:0")
	reload := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- p.Run(ctx, RunOptions{ConfigFile: file, Reload: reload, Listener: ln, AdminListener: aln})
	}()
	os.WriteFile(file, []byte(strings.Replace(good, "orders: 25, monolith: 75", "orders: 5, monolith: 95", 1)), 0o644)
	reload <- struct{}{}
	waitFor(t, "the reload signal to apply", func() bool { return p.Routes()[0].Weights["orders"] == 5 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond for up to 10 seconds (bounded; no timing assertion).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 1000 {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// A request in flight when its route and upstream are removed by a reload finishes on the
// old table; the next request takes the new one.
func TestInFlightFinishesOnOldTable(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		io.WriteString(w, "slow done")
	}))
	defer slow.Close()
	mono := newBackend(t, "monolith")
	base := fmt.Sprintf("listen: \"127.0.0.1:0\"\nupstreams:\n  monolith: {targets: [%q]}\n", mono.URL())
	withSlow := base + fmt.Sprintf("  slow: {targets: [%q]}\nroutes: [{name: slow, match: {paths: [\"/slow\"]}, split: {slow: 1}}]\ndefault: monolith\n", slow.URL)
	r := start(t, withSlow, startOpts{})
	res := make(chan string, 1)
	go func() {
		resp, err := http.Get(r.url + "/slow")
		if err != nil {
			res <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		res <- fmt.Sprint(resp.StatusCode, " ", string(b))
	}()
	<-entered
	os.WriteFile(r.file, []byte(base+"default: monolith\n"), 0o644)
	if err := r.p.ReloadFile(r.file); err != nil {
		t.Fatal(err)
	}
	if _, body := get(t, &http.Client{}, r.url+"/slow", nil); body != "monolith" {
		t.Errorf("new request after the reload went to %q, want the monolith", body)
	}
	close(release)
	if got := <-res; got != "200 slow done" {
		t.Errorf("in-flight request across the reload: %q", got)
	}
}

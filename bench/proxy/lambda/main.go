// Command lambda is bench/proxy.sh's Lambda row: what carve costs when a route's upstream is
// an AWS Lambda function, beside the same route to a plain HTTP target.
//
// It starts the test function (internal/testenv: aws-lambda-go under the Runtime Interface
// Emulator, behind the Invoke API bridge) and a carve proxy process with two routes, /api/ to
// the HTTP backend and /fn/ to the function, both answering 1 KiB. One client sends requests
// one at a time (the emulator runs one invoke at a time) for -d per target, in rotated rounds:
//
//	http-direct    the backend itself
//	http-carve     through carve to the backend
//	lambda-direct  the SDK's Invoke of the same event, no proxy: the emulator's own cost
//	lambda-carve   through carve to the function
//
// and prints, per target, the median latency and the CPU per request of carve's process and
// of the emulator's (with the function, its child), from /proc; then the latency carve adds to
// each kind of target and the ratio of carve's CPU per request, Lambda over HTTP.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/carve-dev/carve/internal/testenv"
	"github.com/carve-dev/carve/strangler/config"
	carvelambda "github.com/carve-dev/carve/strangler/lambda"
)

func main() {
	carve := flag.String("carve", "bin/carve", "carve binary")
	backend := flag.String("backend", "", "HTTP backend base URL (answering 1 KiB)")
	dur := flag.Duration("d", 5*time.Second, "duration per target and round")
	rounds := flag.Int("rounds", 3, "rotated rounds")
	flag.Parse()
	if err := run(*carve, *backend, *dur, *rounds); err != nil {
		log.Fatal(err)
	}
}

type sample struct {
	p50, p99   time.Duration
	n          int
	carveCPU   time.Duration
	emuCPU     time.Duration
	errorsSeen int
}

func run(carve, backend string, dur time.Duration, rounds int) error {
	dir, err := os.MkdirTemp("", "carve-bench-lambda")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fn, err := testenv.StartLambda(dir)
	if err != nil {
		return err
	}
	defer fn.Stop()
	cmd, proxy, err := startProxy(carve, dir, backend, fn.Endpoint)
	if err != nil {
		return err
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	invoke, err := directInvoke(fn.Endpoint, proxy)
	if err != nil {
		return err
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4, DisableCompression: true}}
	targets := []string{"http-direct", "http-carve", "lambda-direct", "lambda-carve"}
	do := map[string]func(context.Context) error{
		"http-direct":   get(client, backend+"/api/orders/7"),
		"http-carve":    get(client, "http://"+proxy+"/api/orders/7"),
		"lambda-direct": invoke,
		"lambda-carve":  get(client, "http://"+proxy+"/fn/big?n=1024"),
	}
	results, err := measureRounds(targets, do, dur, rounds, cmd.Process.Pid, fn.PID())
	if err != nil {
		return err
	}
	printTable(targets, results, dur, rounds)
	return nil
}

// startProxy starts carve with two routes, /api/ to backend and /fn/ to the function behind
// lambdaEndpoint, and returns it once it listens, with its address.
func startProxy(carve, dir, backend, lambdaEndpoint string) (*exec.Cmd, string, error) {
	port, err := testenv.FreePort()
	if err != nil {
		return nil, "", err
	}
	admin, err := testenv.FreePort()
	if err != nil {
		return nil, "", err
	}
	cfgFile := filepath.Join(dir, "carve.yaml")
	if err := os.WriteFile(cfgFile, []byte(fmt.Sprintf(`listen: "127.0.0.1:%d"
admin: {listen: "127.0.0.1:%d"}
access_log: {sample: 0}
upstreams:
  monolith: {targets: [%q]}
  orders: {lambda: {function: orders-fn, region: us-east-1, endpoint: %q}}
routes:
  - {name: orders, match: {paths: ["/fn/"]}, split: {orders: 1}}
default: monolith
`, port, admin, backend, lambdaEndpoint)), 0o644); err != nil {
		return nil, "", err
	}
	cmd := exec.Command(carve, "proxy", "run", "--config", cfgFile, "--watch=false")
	logf, err := os.Create(filepath.Join(dir, "carve.log"))
	if err != nil {
		return nil, "", err
	}
	cmd.Stderr = logf // the child holds its own descriptor; logf is closed with the process
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, "", err
	}
	logf.Close()
	proxy := fmt.Sprintf("127.0.0.1:%d", port)
	for i := 0; ; i++ {
		if c, err := net.Dial("tcp", proxy); err == nil {
			c.Close()
			return cmd, proxy, nil
		}
		if i > 200 {
			cmd.Process.Kill()
			cmd.Wait()
			return nil, "", fmt.Errorf("carve did not listen on %s", proxy)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// get returns a request to url that must answer 200 with 1 KiB.
func get(client *http.Client, url string) func(context.Context) error {
	return func(ctx context.Context) error {
		req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || n != 1024 {
			return fmt.Errorf("%s: %d, %d bytes", url, resp.StatusCode, n)
		}
		return nil
	}
}

// directInvoke returns the SDK's Invoke of the same event carve sends for GET /fn/big?n=1024
// through proxy, with no proxy in between.
func directInvoke(endpoint, proxy string) (func(context.Context) error, error) {
	ac, err := carvelambda.NewClient(context.Background(), config.Lambda{Function: "orders-fn", Region: "us-east-1", Endpoint: endpoint},
		config.Transport{MaxIdleConnsPerHost: 4, DialTimeout: config.Duration{Duration: 5 * time.Second}, IdleConnTimeout: config.Duration{Duration: 90 * time.Second}})
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) error {
		ev, err := carvelambda.Event(&carvelambda.Request{Method: "GET", RawPath: "/fn/big", RawQuery: "n=1024", Host: proxy,
			Protocol: "HTTP/1.1", SourceIP: "127.0.0.1", Header: []carvelambda.Field{{Name: "User-Agent", Value: "Go-http-client/1.1"},
				{Name: "X-Forwarded-For", Value: "127.0.0.1"}, {Name: "X-Forwarded-Host", Value: proxy}, {Name: "X-Forwarded-Proto", Value: "http"}}},
			"bench", time.Now())
		if err != nil {
			return err
		}
		out, err := ac.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("orders-fn"), Payload: ev})
		if err != nil {
			return err
		}
		if out.FunctionError != nil || !bytes.Contains(out.Payload, bytes.Repeat([]byte("x"), 1024)) {
			return fmt.Errorf("direct invoke: %s", out.Payload)
		}
		return nil
	}, nil
}

// measureRounds warms every target up, then measures each for dur per round, rotating the
// order every round, and returns the samples per target.
func measureRounds(targets []string, do map[string]func(context.Context) error, dur time.Duration, rounds, carvePID, emuPID int) (map[string][]sample, error) {
	for _, t := range targets { // warm up: connections, the function's init
		if _, err := measure(do[t], time.Second, carvePID, emuPID); err != nil {
			return nil, fmt.Errorf("%s: %w", t, err)
		}
	}
	results := map[string][]sample{}
	order := slices.Clone(targets)
	for r := 1; r <= rounds; r++ {
		for _, t := range order {
			s, err := measure(do[t], dur, carvePID, emuPID)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", t, err)
			}
			results[t] = append(results[t], s)
			fmt.Fprintf(os.Stderr, "lambda round %d %-13s %6d req  p50 %6dus  p99 %6dus  carve cpu %6.1fus/req  emulator cpu %6.1fus/req\n",
				r, t, s.n, s.p50.Microseconds(), s.p99.Microseconds(), perReq(s.carveCPU, s.n), perReq(s.emuCPU, s.n))
		}
		order = append(order[1:], order[0])
	}
	return results, nil
}

// printTable prints the medians per target and what carve adds to each kind of target.
func printTable(targets []string, results map[string][]sample, dur time.Duration, rounds int) {
	med := func(t string, f func(sample) float64) float64 {
		var v []float64
		for _, s := range results[t] {
			v = append(v, f(s))
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	p50 := func(s sample) float64 { return float64(s.p50.Microseconds()) }
	p99 := func(s sample) float64 { return float64(s.p99.Microseconds()) }
	ccpu := func(s sample) float64 { return perReq(s.carveCPU, s.n) }
	ecpu := func(s sample) float64 { return perReq(s.emuCPU, s.n) }
	fmt.Printf("\n## carve to a Lambda function beside an HTTP target — one request at a time (the emulator runs one invoke at a time), %s × %d rotated rounds, medians, 1 KiB answers\n\n", dur, rounds)
	fmt.Println("| target | p50 µs | p99 µs | carve CPU µs/request | emulator+function CPU µs/request |")
	fmt.Println("| --- | ---: | ---: | ---: | ---: |")
	for _, t := range targets {
		fmt.Printf("| %s | %.0f | %.0f | %.1f | %.1f |\n", t, med(t, p50), med(t, p99), med(t, ccpu), med(t, ecpu))
	}
	fmt.Println()
	fmt.Printf("carve adds %.0f µs at p50 to an HTTP target and %.0f µs to a Lambda function (over a direct SDK invoke)\n",
		med("http-carve", p50)-med("http-direct", p50), med("lambda-carve", p50)-med("lambda-direct", p50))
	fmt.Printf("carve CPU per request: Lambda/HTTP %.2fx; the emulator's own cost per invoke: %.1f µs CPU, %.0f µs p50 (direct)\n",
		med("lambda-carve", ccpu)/med("http-carve", ccpu), med("lambda-direct", ecpu), med("lambda-direct", p50))
}

func perReq(d time.Duration, n int) float64 {
	if n == 0 {
		return 0
	}
	return float64(d.Microseconds()) / float64(n)
}

// measure runs do one at a time for dur and reads the CPU time of both processes around it.
func measure(do func(context.Context) error, dur time.Duration, carvePID, emuPID int) (sample, error) {
	ctx := context.Background()
	c0, e0 := cpuTime(carvePID), cpuTime(emuPID)
	var lat []time.Duration
	end := time.Now().Add(dur)
	for time.Now().Before(end) {
		t0 := time.Now()
		if err := do(ctx); err != nil {
			return sample{}, err
		}
		lat = append(lat, time.Since(t0))
	}
	c1, e1 := cpuTime(carvePID), cpuTime(emuPID)
	slices.Sort(lat)
	return sample{p50: lat[len(lat)/2], p99: lat[len(lat)*99/100], n: len(lat), carveCPU: c1 - c0, emuCPU: e1 - e0}, nil
}

// cpuTime is the user+system CPU time of pid and its direct children, from /proc (ticks of
// 1/100 s on Linux).
func cpuTime(pid int) time.Duration {
	var ticks int64
	procs, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, f := range procs {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		fields := strings.Fields(s[i+2:])
		me, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(f, "/proc/"), "/stat"))
		ppid, _ := strconv.Atoi(fields[1])
		if me != pid && ppid != pid {
			continue
		}
		u, _ := strconv.ParseInt(fields[11], 10, 64)
		st, _ := strconv.ParseInt(fields[12], 10, 64)
		ticks += u + st
	}
	return time.Duration(ticks) * 10 * time.Millisecond
}

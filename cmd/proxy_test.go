package cmd

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/carve-dev/carve/internal/testenv"
	proxyconfig "github.com/carve-dev/carve/strangler/config"
	"github.com/carve-dev/carve/strangler/store"
)

// TestProxyScripts runs testdata/proxy: each script gets two backends on loopback ($MONOLITH
// answers "monolith", $ORDERS "orders") and two free ports ($LISTEN_PORT, $ADMIN_PORT).
func TestProxyScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join("testdata", "proxy"),
		Setup: func(env *testscript.Env) error {
			for _, name := range []string{"monolith", "orders"} {
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, name) }))
				env.Defer(srv.Close)
				env.Setenv(strings.ToUpper(name), srv.URL)
			}
			for _, k := range []string{"LISTEN_PORT", "ADMIN_PORT"} {
				port, err := freePort()
				if err != nil {
					return err
				}
				env.Setenv(k, strconv.Itoa(port))
			}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// expand IN OUT: copy IN to OUT with $VARS replaced from the script's environment.
			"expand": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 2 {
					ts.Fatalf("usage: expand IN OUT")
				}
				b, err := os.ReadFile(ts.MkAbs(args[0]))
				ts.Check(err)
				ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(os.Expand(string(b), ts.Getenv)), 0o644))
			},
			// waitok URL [TEXT]: poll URL until it answers 200 (with TEXT in the body), at most 20 s.
			"waitok": func(ts *testscript.TestScript, neg bool, args []string) {
				for range 200 {
					if resp, err := http.Get(args[0]); err == nil {
						b, _ := io.ReadAll(resp.Body)
						resp.Body.Close()
						if resp.StatusCode == 200 && (len(args) < 2 || strings.Contains(string(b), args[1])) {
							return
						}
					}
					time.Sleep(100 * time.Millisecond)
				}
				ts.Fatalf("%s never answered 200", args[0])
			},
			// fetch URL: GET URL and print the status and body on stdout.
			"fetch": func(ts *testscript.TestScript, neg bool, args []string) {
				resp, err := http.Get(args[0])
				ts.Check(err)
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				fmt.Fprintf(ts.Stdout(), "%d %s\n", resp.StatusCode, b)
			},
			// exitcode N ARGS...: run carve ARGS in process and require exit code N.
			"exitcode": func(ts *testscript.TestScript, neg bool, args []string) {
				want, err := strconv.Atoi(args[0])
				ts.Check(err)
				var out, errb bytes.Buffer
				wd, _ := os.Getwd()
				ts.Check(os.Chdir(ts.Getenv("WORK")))
				got := Main(args[1:], Streams{strings.NewReader(""), &out, &errb})
				os.Chdir(wd)
				ts.Stdout().Write(out.Bytes())
				ts.Stderr().Write(errb.Bytes())
				if got != want {
					ts.Fatalf("carve %s: exit %d, want %d\n%s", strings.Join(args[1:], " "), got, want, errb.String())
				}
			},
		},
	})
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// SIGHUP reloads the file (with --watch=false so only the signal can have done it).
func TestProxyRunReloadsOnSIGHUP(t *testing.T) {
	mono := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "monolith") }))
	defer mono.Close()
	lp, _ := freePort()
	ap, _ := freePort()
	yaml := fmt.Sprintf(`listen: "127.0.0.1:%d"
admin: {listen: "127.0.0.1:%d"}
upstreams: {monolith: {targets: [%q]}, orders: {targets: [%q]}}
routes: [{name: orders, match: {paths: ["/orders/"]}, split: {orders: 1, monolith: 9}}]
default: monolith
`, lp, ap, mono.URL, mono.URL)
	file := filepath.Join(t.TempDir(), "proxy.yaml")
	os.WriteFile(file, []byte(yaml), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var logs bytes.Buffer
	go func() {
		done <- runProxy(ctx, Streams{strings.NewReader(""), io.Discard, &syncWriter{w: &logs}}, &proxyRunOptions{config: file, watch: false})
	}()
	weights := func() string {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/routes/orders/weights", ap))
		if err != nil {
			return ""
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	poll := func(what string, cond func() bool) {
		for range 500 {
			if cond() {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("timed out waiting for %s", what)
	}
	poll("the proxy to start", func() bool { return strings.Contains(weights(), `"orders": 1`) })
	os.WriteFile(file, []byte(strings.Replace(yaml, "orders: 1, monolith: 9", "orders: 7, monolith: 3", 1)), 0o644)
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	poll("SIGHUP to reload", func() bool { return strings.Contains(weights(), `"orders": 7`) })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// carve proxy run in fleet mode: a weight change through the admin API lands in the
// DynamoDB table (DynamoDB Local from internal/testenv), with the environment's credentials and
// region, and with none at all (a loopback endpoint: internal/awsclient's dummy credentials and
// us-east-1; before one rule for every AWS client this refused to start without a region).
func TestProxyRunFleetStore(t *testing.T) {
	ddb := testenv.DynamoDB(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		table string
		env   map[string]string
	}{
		{"environment", "weights", map[string]string{"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_REGION": "us-east-1"}},
		{"none", "weights-noenv", map[string]string{"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_REGION": "", "AWS_DEFAULT_REGION": "", "AWS_PROFILE": "",
			"AWS_CONFIG_FILE": filepath.Join(t.TempDir(), "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(t.TempDir(), "none")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := store.CreateTable(ctx, ddb.Client, tc.table); err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			setWeightsInFleet(t, fmt.Sprintf("store: {dynamodb: {table: %s, endpoint: %q, poll: 100ms}}", tc.table, ddb.Endpoint))
			stored, err := store.New(ddb.Client, tc.table).Load(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if sw := stored["orders"]; sw.Version != 1 || sw.Weights["orders"] != 3 || sw.Weights["monolith"] != 1 {
				t.Errorf("stored weights: %+v", sw)
			}
		})
	}
}

// The same with the etcd weight store (Debian's etcd-server from internal/testenv).
func TestProxyRunEtcdStore(t *testing.T) {
	etcd := testenv.Etcd(t)
	setWeightsInFleet(t, fmt.Sprintf("store: {etcd: {endpoints: [%q], key: /carve/weights}}", etcd.Endpoint))
	c, err := proxyconfig.Parse("s.yaml", []byte(fmt.Sprintf("listen: \":1\"\nupstreams: {m: {targets: [\"http://127.0.0.1:1\"]}}\ndefault: m\nstore: {etcd: {endpoints: [%q], key: /carve/weights}}\n", etcd.Endpoint)))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.NewEtcd(*c.Store.Etcd)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	stored, err := st.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if sw := stored["orders"]; sw.Version != 1 || sw.Weights["orders"] != 3 || sw.Weights["monolith"] != 1 {
		t.Errorf("stored weights: %+v", sw)
	}
}

// setWeightsInFleet runs carve proxy run with storeYAML and sets the orders route to
// orders=3 monolith=1 with carve proxy weights; the proxy is stopped when it returns.
func setWeightsInFleet(t *testing.T, storeYAML string) {
	t.Helper()
	t.Setenv("CARVE_TEST_FLEET_TOKEN", "tok")
	mono := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "monolith") }))
	defer mono.Close()
	lp, _ := freePort()
	ap, _ := freePort()
	file := filepath.Join(t.TempDir(), "proxy.yaml")
	os.WriteFile(file, []byte(fmt.Sprintf(`listen: "127.0.0.1:%d"
admin: {listen: "127.0.0.1:%d", token_env: CARVE_TEST_FLEET_TOKEN}
upstreams: {monolith: {targets: [%q]}, orders: {targets: [%q]}}
routes: [{name: orders, match: {paths: ["/orders/"]}, split: {orders: 0, monolith: 1}}]
default: monolith
%s
`, lp, ap, mono.URL, mono.URL, storeYAML)), 0o644)
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- runProxy(runCtx, Streams{strings.NewReader(""), io.Discard, io.Discard}, &proxyRunOptions{config: file})
	}()
	admin := fmt.Sprintf("http://127.0.0.1:%d", ap)
	for i := 0; ; i++ {
		if resp, err := http.Get(admin + "/readyz"); err == nil {
			resp.Body.Close()
			break
		}
		if i == 500 {
			t.Fatal("proxy did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Setenv("CARVE_ADMIN_TOKEN", "tok")
	var out, errb bytes.Buffer
	if code := Main([]string{"proxy", "weights", "orders", "orders=3", "monolith=1", "--admin", admin}, Streams{strings.NewReader(""), &out, &errb}); code != 0 {
		t.Fatalf("weights: exit %d: %s", code, errb.String())
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

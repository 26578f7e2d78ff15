package strangler

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// startBackendProcess runs this test binary as a backend process (see TestMain).
func startBackendProcess(t *testing.T, name string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "CARVE_TEST_BACKEND="+name)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("backend process %s: %v", name, err)
	}
	return cmd, "http://" + strings.TrimSpace(addr)
}

// A backend process killed with SIGKILL under load (connections in flight are reset) costs
// idempotent requests nothing.
func TestFailoverOnSIGKILL(t *testing.T) {
	a, aURL := startBackendProcess(t, "a")
	_, bURL := startBackendProcess(t, "b")
	yaml := fmt.Sprintf(`listen: "127.0.0.1:0"
upstreams:
  monolith: {targets: [%q, %q], passive: {failures: 2, eject: 1m}}
default: monolith
`, aURL, bURL)
	r := start(t, yaml, startOpts{})
	c := &http.Client{}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	seen := map[string]int{}
	for w := range 4 {
		wg.Go(func() {
			for i := range 150 {
				if w == 0 && i == 40 {
					if err := a.Process.Signal(syscall.SIGKILL); err != nil {
						t.Error(err)
					}
				}
				resp, err := c.Get(r.url + "/x")
				mu.Lock()
				if err != nil {
					failures = append(failures, err.Error())
				} else {
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						failures = append(failures, resp.Status)
					}
					seen[string(b)]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(failures) > 0 {
		for _, l := range strings.Split(r.logs.String(), "\n") {
			if strings.Contains(l, `"err"`) {
				t.Log(l)
			}
		}
		t.Fatalf("%d client errors after SIGKILL of a target, e.g. %s", len(failures), failures[0])
	}
	if seen["a"] == 0 || seen["b"] < 300 {
		t.Errorf("responses by backend: %v", seen)
	}
}

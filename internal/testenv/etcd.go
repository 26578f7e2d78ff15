package testenv

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"
)

// EtcdServer is a one-member etcd cluster (Debian's etcd-server) on loopback with its data in
// a scratch directory. Kill and Start stop and start it again on the same ports and data, to
// test what survives a restart.
type EtcdServer struct {
	// Endpoint is the client URL, e.g. http://127.0.0.1:23790.
	Endpoint string

	dir        string
	clientPort int
	peerPort   int
	mu         sync.Mutex
	cmd        *exec.Cmd
	waited     chan struct{}
	log        string
}

// Etcd starts a fresh etcd on free loopback ports and stops it when the test ends. A missing
// etcd is installed with deps.sh; if that is impossible the test fails (it never skips).
func Etcd(t testing.TB) *EtcdServer {
	t.Helper()
	e, err := StartEtcd(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Kill)
	return e
}

// StartEtcd starts an etcd whose data and log are in dir; the caller must Kill it.
func StartEtcd(dir string) (*EtcdServer, error) {
	if _, err := exec.LookPath("etcd"); err != nil {
		root, rerr := RepoRoot()
		if rerr != nil {
			return nil, rerr
		}
		if err := installDeps(root); err != nil {
			return nil, err
		}
		if _, err := exec.LookPath("etcd"); err != nil {
			return nil, fmt.Errorf("testenv: etcd is not installed after deps.sh: run `apt-get install -y etcd-server`")
		}
	}
	var last error
	for attempt := range 3 {
		cp, err := FreePort()
		if err != nil {
			return nil, err
		}
		pp, err := FreePort()
		if err != nil {
			return nil, err
		}
		e := &EtcdServer{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", cp), dir: dir, clientPort: cp, peerPort: pp,
			log: filepath.Join(dir, fmt.Sprintf("etcd-%d.log", attempt))}
		if last = e.Start(); last == nil {
			return e, nil
		}
	}
	return nil, last
}

// Start starts the server (again) on its ports and data directory and waits until it is healthy.
func (e *EtcdServer) Start() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	logf, err := os.OpenFile(e.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("testenv: %w", err)
	}
	defer logf.Close()
	peer := fmt.Sprintf("http://127.0.0.1:%d", e.peerPort)
	cmd := exec.Command("etcd", "--name", "carve", "--data-dir", filepath.Join(e.dir, "etcd-data"),
		"--listen-client-urls", e.Endpoint, "--advertise-client-urls", e.Endpoint,
		"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
		"--initial-cluster", "carve="+peer, "--initial-cluster-state", "new",
		"--logger", "zap", "--log-level", "warn")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), "ETCD_UNSUPPORTED_ARCH="+unsupportedArch())
	cmd.SysProcAttr = &syscall.SysProcAttr{}
	dieWithParent(cmd.SysProcAttr, syscall.SIGKILL)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("testenv: starting etcd: %w (run `make deps`)", err)
	}
	e.cmd, e.waited = cmd, make(chan struct{})
	waited := e.waited
	go func() { cmd.Wait(); close(waited) }()
	deadline := time.Now().Add(30 * time.Second)
	client := &http.Client{Timeout: time.Second}
	for {
		if resp, err := client.Get(e.Endpoint + "/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-waited:
			return fmt.Errorf("testenv: etcd exited while starting on %s:\n%s", e.Endpoint, tail(e.log, 4000))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			<-waited
			return fmt.Errorf("testenv: etcd did not become healthy within 30s on %s:\n%s", e.Endpoint, tail(e.log, 4000))
		}
	}
}

// Kill stops the server with SIGKILL (no clean shutdown) and waits for it to exit.
func (e *EtcdServer) Kill() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cmd == nil {
		return
	}
	e.cmd.Process.Kill()
	<-e.waited
	e.cmd = nil
}

// Log returns the end of the server's log.
func (e *EtcdServer) Log() string { return tail(e.log, 4000) }

// unsupportedArch is what etcd 3.4 wants in ETCD_UNSUPPORTED_ARCH to run on anything but
// amd64 (empty on amd64).
func unsupportedArch() string {
	if a := runtime.GOARCH; a != "amd64" {
		return a
	}
	return ""
}

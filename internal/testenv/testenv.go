// Package testenv starts the real components carve's tests run against — DynamoDB Local (with
// its streams and two fault hooks), PostgreSQL, etcd, two SNS/SQS emulators (goaws, moto's
// server) and a Go Lambda function under the AWS Lambda Runtime Interface Emulator — on loopback,
// and stops them when the test or the test binary ends. Nothing here skips: when a component is missing it installs it with
// deps.sh (what `make deps` runs) or fails with a message saying what to run.
//
//	func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) } // stops the shared PostgreSQL
//
//	ddb := testenv.DynamoDB(t)         // fresh DynamoDB Local per call
//	ddb.Client, ddb.Streams            // SDK clients pointed at it
//	ddb.Rollover(ctx)                  // close every open shard, open a child (lineage)
//	ddb.Dilate(ctx, 25*time.Hour)      // age records/iterators: trimmed data, expired iterators
//	pg := testenv.Postgres(t)          // fresh database on a server shared by the test binary
//	pgx.Connect(ctx, pg.DSN)
//	etcd := testenv.Etcd(t)            // fresh etcd; etcd.Kill(), etcd.Start() to restart it
//	fn := testenv.Lambda(t)            // the lambdafn handler; fn.Endpoint for the Lambda SDK
//	g := testenv.GoAWS(t, topics)      // goaws, SNS/SQS over the query protocol (Publish only)
//	m := testenv.MotoServer(t)         // moto: SQS (JSON protocol), SNS with PublishBatch
package testenv

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

const module = "module github.com/carve-dev/carve"

// RepoRoot returns the root of the carve repository (the directory whose go.mod declares the
// carve module), found by walking up from the working directory, which `go test` sets to the
// package directory.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("testenv: working directory: %w", err)
	}
	for d := dir; ; {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil && strings.Contains(string(b), module+"\n") {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("testenv: no go.mod with %q above %s: run tests inside the carve repository", module, dir)
		}
		d = parent
	}
}

var depsOnce struct {
	sync.Mutex
	done bool
	err  error
}

// installDeps runs internal/testenv/deps.sh once per test binary, under a file lock so that
// test binaries running in parallel do not install at the same time.
func installDeps(root string) error {
	depsOnce.Lock()
	defer depsOnce.Unlock()
	if depsOnce.done {
		return depsOnce.err
	}
	depsOnce.done = true
	unlock, err := lockFile(filepath.Join(root, ".cache", "testenv-deps.lock"))
	if err != nil {
		depsOnce.err = err
		return err
	}
	defer unlock()
	cmd := exec.Command("bash", filepath.Join(root, "internal", "testenv", "deps.sh"))
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		depsOnce.err = fmt.Errorf("testenv: installing the test components failed (run `make deps` and read its output): %w\n%s", err, out)
	}
	return depsOnce.err
}

// lockFile takes an exclusive advisory lock on path (created if needed) and returns its release.
func lockFile(path string) (func(), error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("testenv: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("testenv: lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("testenv: lock %s: %w", path, err)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// FreePort returns a loopback TCP port that was free a moment ago. Another process may take it
// before the caller binds it; callers that start servers retry on a bind failure.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("testenv: free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// server is a process a test started: it dies with the test binary, and Stop kills it and waits
// for it to exit.
type server struct {
	cmd    *exec.Cmd
	waited chan struct{}
	stop   sync.Once
}

// startServer starts cmd as a server that receives SIGKILL when the test binary dies.
func startServer(cmd *exec.Cmd) (*server, error) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	dieWithParent(cmd.SysProcAttr, syscall.SIGKILL)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, waited: make(chan struct{})}
	go func() { cmd.Wait(); close(s.waited) }()
	return s, nil
}

// Stop kills the server and waits for it to exit. It is safe to call more than once.
func (s *server) Stop() {
	s.stop.Do(func() {
		s.cmd.Process.Kill()
		<-s.waited
	})
}

// launchTries calls launch up to three times, for servers started on a FreePort that another
// process may take before they bind it, and returns the first success or the last error.
func launchTries[T any](launch func(attempt int) (T, error)) (T, error) {
	var last error
	for attempt := 0; attempt < 3; attempt++ {
		v, err := launch(attempt)
		if err == nil {
			return v, nil
		}
		last = err
	}
	var zero T
	return zero, last
}

// Run runs the tests of a test binary and then stops the components shared by the whole binary
// (the PostgreSQL server). Use it from TestMain: os.Exit(testenv.Run(m)). Without it the shared
// server still dies with the test binary (parent-death signal), but its scratch directory stays.
func Run(m *testing.M) int {
	code := m.Run()
	stopSharedPostgres()
	return code
}

// tail returns the last n bytes of the file at path, for error messages.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

var errNotReady = errors.New("not ready")

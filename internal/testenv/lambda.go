package testenv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// RIEModule is the AWS Lambda Runtime Interface Emulator, built with `go install` into .cache/.
const RIEModule = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@v0.0.0-20261030222936-bef5c4ba774d"

// LambdaFunction is internal/testenv/lambdafn (a Go handler built with aws-lambda-go) running
// under the Runtime Interface Emulator, reachable through the Lambda Invoke API.
//
// The emulator differs from the Lambda service in three ways, and a small bridge in front of
// it (Endpoint) makes up for exactly these:
//   - it serves only POST /2015-03-31/functions/function/invocations, where the SDK calls
//     /2015-03-31/functions/{FunctionName}/invocations: the bridge maps any name to it;
//   - on a function error it answers 200 with the error payload but without the
//     X-Amz-Function-Error header the SDK reads into FunctionError, and on an error of the
//     runtime (a response over 6291556 bytes, a crash) 502 with the error payload, where
//     Lambda answers 200 with X-Amz-Function-Error: Unhandled: the bridge answers as Lambda
//     does when the payload is an error object ({errorMessage, errorType});
//   - it runs one invoke at a time and crashes on a concurrent one, where Lambda would run
//     another execution environment: the bridge queues invokes.
//
// Lambda's throttling has no counterpart in the emulator; Throttle makes the bridge answer as
// Lambda does (429 TooManyRequestsException).
type LambdaFunction struct {
	// Endpoint is the Lambda API endpoint (the bridge) to give the SDK as BaseEndpoint.
	Endpoint string
	// Emulator is the emulator's own address (invoke it directly to measure it alone).
	Emulator string

	mu           sync.Mutex
	throttle     int // invokes of throttlePath still to throttle
	throttlePath string
	invokes      atomic.Int64
	srv          *http.Server
	cmd          *exec.Cmd
	waited       chan struct{}
	stop         sync.Once
	log          string
}

// Lambda builds and starts the test function under the emulator on free loopback ports and
// stops it when the test ends. It never skips: a build failure fails the test.
func Lambda(t testing.TB) *LambdaFunction {
	t.Helper()
	f, err := StartLambda(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Stop)
	return f
}

// StartLambda starts the function with its logs in dir; the caller must Stop it. Tests use
// Lambda; this is for benchmarks.
func StartLambda(dir string) (*LambdaFunction, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	rie, err := buildRIE(root)
	if err != nil {
		return nil, err
	}
	bootstrap := filepath.Join(dir, "bootstrap")
	build := exec.Command("go", "build", "-o", bootstrap, "./internal/testenv/lambdafn")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("testenv: building the test lambda function: %w\n%s", err, out)
	}
	var last error
	for attempt := range 3 {
		f, err := launchLambda(rie, bootstrap, dir, attempt)
		if err == nil {
			return f, nil
		}
		last = err
	}
	return nil, last
}

// buildRIE installs the emulator into .cache/lambda-rie once (under a lock shared by test
// binaries) and returns its path.
func buildRIE(root string) (string, error) {
	bin := filepath.Join(root, ".cache", "lambda-rie")
	exe := filepath.Join(bin, "aws-lambda-rie")
	unlock, err := lockFile(filepath.Join(root, ".cache", "lambda-rie.lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	stamp := filepath.Join(bin, "version")
	if v, err := os.ReadFile(stamp); err == nil && string(v) == RIEModule {
		if _, err := os.Stat(exe); err == nil {
			return exe, nil
		}
	}
	cmd := exec.Command("go", "install", RIEModule)
	cmd.Dir = os.TempDir() // outside carve's module: the emulator's own go.mod decides
	cmd.Env = append(os.Environ(), "GOBIN="+bin, "GOFLAGS=", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("testenv: building the Lambda Runtime Interface Emulator (go install %s): %w\n%s", RIEModule, err, out)
	}
	if err := os.WriteFile(stamp, []byte(RIEModule), 0o644); err != nil {
		return "", fmt.Errorf("testenv: %w", err)
	}
	return exe, nil
}

func launchLambda(rie, bootstrap, dir string, attempt int) (*LambdaFunction, error) {
	ports := make([]int, 2)
	for i := range ports {
		p, err := FreePort()
		if err != nil {
			return nil, err
		}
		ports[i] = p
	}
	emu := fmt.Sprintf("127.0.0.1:%d", ports[0])
	logPath := filepath.Join(dir, fmt.Sprintf("lambda-rie-%d-%d.log", ports[0], attempt))
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("testenv: %w", err)
	}
	defer logf.Close()
	cmd := exec.Command(rie, "--log-level", "error", "--runtime-interface-emulator-address", emu,
		"--runtime-api-address", fmt.Sprintf("127.0.0.1:%d", ports[1]), bootstrap)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), "AWS_LAMBDA_FUNCTION_NAME=orders-fn", "AWS_LAMBDA_FUNCTION_TIMEOUT=30",
		"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=carve", "AWS_SECRET_ACCESS_KEY=carve")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // Stop kills the function with it
	dieWithParent(cmd.SysProcAttr, syscall.SIGKILL)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("testenv: starting the Lambda Runtime Interface Emulator: %w", err)
	}
	f := &LambdaFunction{Emulator: "http://" + emu, cmd: cmd, waited: make(chan struct{}), log: logPath}
	go func() { cmd.Wait(); close(f.waited) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", emu, time.Second)
		if err == nil {
			c.Close()
			break
		}
		select {
		case <-f.waited:
			return nil, fmt.Errorf("testenv: the Lambda emulator exited while starting on %s:\n%s", emu, tail(logPath, 4000))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			f.Stop()
			return nil, fmt.Errorf("testenv: the Lambda emulator did not listen on %s within 30s:\n%s", emu, tail(logPath, 4000))
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.Stop()
		return nil, fmt.Errorf("testenv: bridge listener: %w", err)
	}
	f.Endpoint = "http://" + l.Addr().String()
	f.srv = &http.Server{Handler: f.bridge(), ReadHeaderTimeout: 10 * time.Second}
	go f.srv.Serve(l)
	return f, nil
}

var invokePath = regexp.MustCompile(`^/2015-03-31/functions/[^/]+/invocations$`)

// bridge is the Invoke API in front of the emulator (see LambdaFunction).
func (f *LambdaFunction) bridge() http.Handler {
	var one sync.Mutex // the emulator runs one invoke at a time
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !invokePath.MatchString(r.URL.Path) {
			w.Header().Set("X-Amzn-ErrorType", "UnknownOperationException")
			http.Error(w, `{"message":"the test bridge serves only Invoke"}`, http.StatusNotFound)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		if f.throttled(body) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Amzn-ErrorType", "TooManyRequestsException")
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"Reason":"ReservedFunctionConcurrentInvocationLimitExceeded","Type":"User","message":"Rate Exceeded."}`)
			return
		}
		one.Lock()
		resp, err := client.Post(f.Emulator+"/2015-03-31/functions/function/invocations", "application/json", bytes.NewReader(body))
		var payload []byte
		if err == nil {
			payload, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		one.Unlock()
		if err != nil {
			w.Header().Set("X-Amzn-ErrorType", "ServiceException")
			http.Error(w, `{"message":"emulator: `+err.Error()+`"}`, http.StatusBadGateway)
			return
		}
		f.invokes.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amz-Executed-Version", "$LATEST")
		status := resp.StatusCode
		if (status == http.StatusOK || status == http.StatusBadGateway) && isErrorPayload(payload) {
			w.Header().Set("X-Amz-Function-Error", "Unhandled")
			status = http.StatusOK
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(payload)))
		w.WriteHeader(status)
		w.Write(payload)
	})
}

// isErrorPayload reports whether a payload is the error object a runtime reports a function
// error with: errorMessage and errorType (and perhaps stackTrace), nothing else.
func isErrorPayload(b []byte) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return false
	}
	_, msg := m["errorMessage"]
	_, typ := m["errorType"]
	for k := range m {
		if k != "errorMessage" && k != "errorType" && k != "stackTrace" {
			return false
		}
	}
	return msg && typ
}

// Throttle makes the next n invokes of events for rawPath fail as Lambda's throttling does
// (429 TooManyRequestsException); other invokes (health checks, say) pass.
func (f *LambdaFunction) Throttle(n int, rawPath string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.throttle, f.throttlePath = n, rawPath
}

func (f *LambdaFunction) throttled(payload []byte) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.throttle == 0 {
		return false
	}
	var ev struct {
		RawPath string `json:"rawPath"`
	}
	if json.Unmarshal(payload, &ev) != nil || ev.RawPath != f.throttlePath {
		return false
	}
	f.throttle--
	return true
}

// Invokes is the number of invokes the emulator has answered.
func (f *LambdaFunction) Invokes() int64 { return f.invokes.Load() }

// Stop stops the bridge and the emulator (and the function, its child).
func (f *LambdaFunction) Stop() {
	f.stop.Do(func() {
		if f.srv != nil {
			f.srv.Close()
		}
		if f.cmd.Process != nil {
			syscall.Kill(-f.cmd.Process.Pid, syscall.SIGKILL) // its process group: the emulator and the function
		}
		<-f.waited
	})
}

// PID is the emulator's process id (the function runs as its child).
func (f *LambdaFunction) PID() int { return f.cmd.Process.Pid }

// Log returns the emulator's log (the function's output included).
func (f *LambdaFunction) Log() string { return tail(f.log, 8000) }

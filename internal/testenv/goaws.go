package testenv

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// GoAWSVersion is the SNS/SQS emulator the tests run: the Go module
// github.com/Admiral-Piett/goaws, built from source by deps.sh into .cache/goaws/.
const GoAWSVersion = "v0.4.5"

// SNSSQS is a running goaws, the SNS/SQS emulator, started for one test by GoAWS. It speaks the
// AWS query protocol: the SDK's SNS client talks to it (Publish; it has no PublishBatch), its
// SQS client (JSON protocol) does not, so tests read queues with Receive.
type SNSSQS struct {
	// Endpoint is the server's base URL, e.g. http://127.0.0.1:41234.
	Endpoint string
	// Region and Account are what topic ARNs and queue URLs carry.
	Region, Account string

	server *server
	log    string
}

// Topic is a topic for GoAWS to create, with the queues subscribed to it (raw delivery: a queue
// message's body is the published message).
type Topic struct {
	Name   string
	Queues []string
}

// GoAWS starts a fresh goaws on a free loopback port with the given topics (their queues are
// created too) and extra queues, waits until it answers and stops it when the test ends. A
// missing goaws is built with deps.sh; if that is impossible the test fails (it never skips).
func GoAWS(t testing.TB, topics []Topic, queues ...string) *SNSSQS {
	t.Helper()
	g, err := StartGoAWS(t.TempDir(), topics, queues...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Stop)
	return g
}

// StartGoAWS starts a goaws whose config and log live in dir; the caller must Stop it. Tests use
// GoAWS; this is for benchmarks.
func StartGoAWS(dir string, topics []Topic, queues ...string) (*SNSSQS, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	bin, err := goawsBinary(root)
	if err != nil {
		return nil, err
	}
	return launchTries(func(attempt int) (*SNSSQS, error) { return launchGoAWS(bin, dir, attempt, topics, queues) })
}

// goawsBinary finds the goaws binary under .cache/, building it with deps.sh if missing.
func goawsBinary(root string) (string, error) {
	bin := filepath.Join(root, ".cache", "goaws", "goaws-"+GoAWSVersion)
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := installDeps(root); err != nil {
		return "", err
	}
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("testenv: goaws not found at %s after deps.sh: run `make deps`", bin)
	}
	return bin, nil
}

func launchGoAWS(bin, dir string, attempt int, topics []Topic, queues []string) (*SNSSQS, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	g := &SNSSQS{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port), Region: "us-east-1", Account: "000000000000"}
	// Received messages stay invisible for the whole test (Receive never deletes them), and a
	// message may be as large as SQS allows.
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "Local:\n  Host: 127.0.0.1\n  Port: %d\n  Region: %s\n  AccountId: %q\n  LogToFile: false\n  EnableDuplicates: true\n", port, g.Region, g.Account)
	cfg.WriteString("  QueueAttributeDefaults: {VisibilityTimeout: 43200, ReceiveMessageWaitTimeSeconds: 0, MaximumMessageSize: 262144}\n")
	cfg.WriteString("  Queues:\n")
	for _, q := range queues {
		fmt.Fprintf(&cfg, "    - Name: %s\n", q)
	}
	cfg.WriteString("  Topics:\n")
	for _, t := range topics {
		fmt.Fprintf(&cfg, "    - Name: %s\n      Subscriptions:\n", t.Name)
		for _, q := range t.Queues {
			fmt.Fprintf(&cfg, "        - {QueueName: %s, Raw: true}\n", q)
		}
	}
	cfgPath := filepath.Join(dir, fmt.Sprintf("goaws-%d-%d.yaml", port, attempt))
	if err := os.WriteFile(cfgPath, []byte(cfg.String()), 0o644); err != nil {
		return nil, fmt.Errorf("testenv: %w", err)
	}
	g.log = filepath.Join(dir, fmt.Sprintf("goaws-%d-%d.log", port, attempt))
	logf, err := os.Create(g.log)
	if err != nil {
		return nil, fmt.Errorf("testenv: %w", err)
	}
	defer logf.Close()
	// goaws logs every message at info level: only its warnings and errors are kept.
	cmd := exec.Command(bin, "-config", cfgPath, "Local")
	cmd.Dir = dir
	cmd.Stdout = io.Discard
	cmd.Stderr = logf
	if g.server, err = startServer(cmd); err != nil {
		return nil, fmt.Errorf("testenv: starting goaws: %w (run `make deps`)", err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(g.Endpoint + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return g, nil
			}
		}
		select {
		case <-g.server.waited:
			return nil, fmt.Errorf("testenv: goaws exited while starting on port %d:\n%s", port, tail(g.log, 4000))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			g.Stop()
			return nil, fmt.Errorf("testenv: goaws did not answer within 20s on port %d:\n%s", port, tail(g.log, 4000))
		}
	}
}

// TopicArn is the ARN of topic name.
func (g *SNSSQS) TopicArn(name string) string {
	return "arn:aws:sns:" + g.Region + ":" + g.Account + ":" + name
}

// QueueURL is the URL of queue name.
func (g *SNSSQS) QueueURL(name string) string {
	return g.Endpoint + "/" + g.Account + "/" + name
}

// Message is a message received from a queue.
type Message struct {
	Body string
	// Attributes are its String message attributes.
	Attributes map[string]string
}

// Receive takes up to max messages from queue, oldest first, without waiting: an empty result
// means the queue holds no message now. A message received once is never received again.
func (g *SNSSQS) Receive(ctx context.Context, queue string, max int) ([]Message, error) {
	q := url.Values{"Action": {"ReceiveMessage"}, "QueueUrl": {g.QueueURL(queue)}, "MaxNumberOfMessages": {strconv.Itoa(max)},
		"MessageAttributeName.1": {"All"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.Endpoint+"/", strings.NewReader(q.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("testenv: goaws receive from %s: %w", queue, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("testenv: goaws receive from %s: %s: %s %v", queue, resp.Status, b, err)
	}
	var out struct {
		Messages []struct {
			Body  string `xml:"Body"`
			Attrs []struct {
				Name  string `xml:"Name"`
				Value string `xml:"Value>StringValue"`
			} `xml:"MessageAttribute"`
		} `xml:"ReceiveMessageResult>Message"`
	}
	if err := xml.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("testenv: goaws receive from %s: %w", queue, err)
	}
	ms := make([]Message, len(out.Messages))
	for i, m := range out.Messages {
		ms[i] = Message{Body: m.Body, Attributes: map[string]string{}}
		for _, a := range m.Attrs {
			ms[i].Attributes[a.Name] = a.Value
		}
	}
	return ms, nil
}

// Drain receives every message queue holds now.
func (g *SNSSQS) Drain(ctx context.Context, queue string) ([]Message, error) {
	var all []Message
	for {
		ms, err := g.Receive(ctx, queue, 10)
		if err != nil || len(ms) == 0 {
			return all, err
		}
		all = append(all, ms...)
	}
}

// Stop kills goaws and waits for it to exit; its topics and queues are gone. It is safe to call
// more than once.
func (g *SNSSQS) Stop() { g.server.Stop() }

// Log returns the path of goaws's log (warnings and errors).
func (g *SNSSQS) Log() string { return g.log }

package testenv

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Moto is a running moto server, the AWS emulator, started for one test by MotoServer. Unlike
// goaws it speaks the protocols of the SDK's current clients: SQS's JSON protocol and SNS's
// PublishBatch. Its SNS and SQS clients create topics and queues and read them.
type Moto struct {
	// Endpoint is the server's base URL, e.g. http://127.0.0.1:41234.
	Endpoint string
	// SNS and SQS are SDK clients pointed at it.
	SNS *sns.Client
	SQS *sqs.Client

	server *server
	log    string
}

// MotoServer starts a fresh moto server on a free loopback port, waits until it answers and stops
// it when the test ends. A missing moto is installed with deps.sh; if that is impossible the test
// fails (it never skips).
func MotoServer(t testing.TB) *Moto {
	t.Helper()
	m, err := StartMoto(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Stop)
	return m
}

// StartMoto starts a moto server whose log lives in dir; the caller must Stop it. Tests use
// MotoServer; this is for benchmarks.
func StartMoto(dir string) (*Moto, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	py, err := motoPython(root)
	if err != nil {
		return nil, err
	}
	return launchTries(func(attempt int) (*Moto, error) { return launchMoto(py, dir, attempt) })
}

// motoPython finds the Python of the venv deps.sh installs moto into, running deps.sh when it
// is missing or cannot import moto's server.
func motoPython(root string) (string, error) {
	py := filepath.Join(root, ".cache", "moto", "bin", "python")
	hasServer := func() bool { return exec.Command(py, "-c", "import moto.server").Run() == nil }
	if hasServer() {
		return py, nil
	}
	if err := installDeps(root); err != nil {
		return "", err
	}
	if !hasServer() {
		return "", fmt.Errorf("testenv: no moto server in %s after deps.sh: run `make deps`", py)
	}
	return py, nil
}

func launchMoto(py, dir string, attempt int) (*Moto, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	m := &Moto{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port)}
	m.log = filepath.Join(dir, fmt.Sprintf("moto-%d-%d.log", port, attempt))
	logf, err := os.Create(m.log)
	if err != nil {
		return nil, fmt.Errorf("testenv: %w", err)
	}
	defer logf.Close()
	cmd := exec.Command(py, "-m", "moto.server", "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logf, logf
	if m.server, err = startServer(cmd); err != nil {
		return nil, fmt.Errorf("testenv: starting moto: %w (run `make deps`)", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(m.Endpoint + "/moto-api/data.json")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case <-m.server.waited:
			return nil, fmt.Errorf("testenv: moto exited while starting on port %d:\n%s", port, tail(m.log, 4000))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			m.Stop()
			return nil, fmt.Errorf("testenv: moto did not answer within 30s on port %d:\n%s", port, tail(m.log, 4000))
		}
	}
	cfg := ClientConfig()
	m.SNS = sns.NewFromConfig(cfg, func(o *sns.Options) { o.BaseEndpoint = aws.String(m.Endpoint) })
	m.SQS = sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(m.Endpoint) })
	return m, nil
}

// CreateQueue creates queue name (a FIFO queue when it ends in .fifo) and returns its URL.
func (m *Moto) CreateQueue(ctx context.Context, name string) (string, error) {
	attrs := map[string]string{}
	if filepath.Ext(name) == ".fifo" {
		attrs[string(sqstypes.QueueAttributeNameFifoQueue)] = "true"
	}
	out, err := m.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		return "", fmt.Errorf("testenv: moto: create queue %s: %w", name, err)
	}
	return aws.ToString(out.QueueUrl), nil
}

// CreateTopic creates topic name (a FIFO topic when it ends in .fifo) with queues, created too,
// subscribed with raw delivery (a queue message's body is the published message), and returns
// the topic's ARN.
func (m *Moto) CreateTopic(ctx context.Context, name string, queues ...string) (string, error) {
	attrs := map[string]string{}
	if filepath.Ext(name) == ".fifo" {
		attrs["FifoTopic"] = "true"
	}
	out, err := m.SNS.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name), Attributes: attrs})
	if err != nil {
		return "", fmt.Errorf("testenv: moto: create topic %s: %w", name, err)
	}
	for _, q := range queues {
		u, err := m.CreateQueue(ctx, q)
		if err != nil {
			return "", err
		}
		a, err := m.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(u), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
		if err != nil {
			return "", fmt.Errorf("testenv: moto: queue %s: %w", q, err)
		}
		_, err = m.SNS.Subscribe(ctx, &sns.SubscribeInput{TopicArn: out.TopicArn, Protocol: aws.String("sqs"),
			Endpoint: aws.String(a.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]), Attributes: map[string]string{"RawMessageDelivery": "true"}})
		if err != nil {
			return "", fmt.Errorf("testenv: moto: subscribe %s to %s: %w", q, name, err)
		}
	}
	return aws.ToString(out.TopicArn), nil
}

// Receive takes up to max messages from the queue at url and deletes them, waiting up to wait
// (whole seconds; long polling, which costs moto no CPU) for the first: an empty result means the
// queue holds no message it would deliver now (a FIFO queue delivers a group's next message once
// the one before is deleted).
func (m *Moto) Receive(ctx context.Context, url string, max int, wait time.Duration) ([]Message, error) {
	out, err := m.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: int32(max),
		MessageAttributeNames: []string{"All"}, VisibilityTimeout: 600, WaitTimeSeconds: int32(wait / time.Second)})
	if err != nil {
		return nil, fmt.Errorf("testenv: moto: receive from %s: %w", url, err)
	}
	ms := make([]Message, len(out.Messages))
	del := make([]sqstypes.DeleteMessageBatchRequestEntry, len(out.Messages))
	for i, msg := range out.Messages {
		ms[i] = Message{Body: aws.ToString(msg.Body), Attributes: map[string]string{}}
		for k, v := range msg.MessageAttributes {
			ms[i].Attributes[k] = aws.ToString(v.StringValue)
		}
		del[i] = sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: msg.ReceiptHandle}
	}
	if len(del) > 0 {
		d, err := m.SQS.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: del})
		if err == nil && len(d.Failed) > 0 {
			err = errors.New(aws.ToString(d.Failed[0].Message))
		}
		if err != nil {
			return nil, fmt.Errorf("testenv: moto: delete from %s: %w", url, err)
		}
	}
	return ms, nil
}

// Drain receives every message the queue at url delivers now.
func (m *Moto) Drain(ctx context.Context, url string) ([]Message, error) {
	var all []Message
	for {
		ms, err := m.Receive(ctx, url, 10, 0)
		if err != nil || len(ms) == 0 {
			return all, err
		}
		all = append(all, ms...)
	}
}

// Stop kills moto and waits for it to exit; its topics and queues are gone. It is safe to call
// more than once.
func (m *Moto) Stop() { m.server.Stop() }

// Log returns the path of moto's log.
func (m *Moto) Log() string { return m.log }

// QueueURL is the URL of queue name (moto's default account, 123456789012).
func (m *Moto) QueueURL(name string) string { return m.Endpoint + "/" + MotoAccount + "/" + name }

// TopicArn is the ARN of topic name in us-east-1, the region of the clients.
func (m *Moto) TopicArn(name string) string {
	return "arn:aws:sns:us-east-1:" + MotoAccount + ":" + name
}

// MotoAccount is the account moto serves when credentials name none.
const MotoAccount = "123456789012"

package sink

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/carve-dev/carve/sync/awsconf"
	"github.com/carve-dev/carve/sync/stream"
)

// SQSAPI is the SQS calls the SQS sink makes; *sqs.Client implements it.
type SQSAPI interface {
	SendMessageBatch(context.Context, *sqs.SendMessageBatchInput, ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
	GetQueueAttributes(context.Context, *sqs.GetQueueAttributesInput, ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
}

// sqsQueue sends to one queue with SendMessageBatch.
type sqsQueue struct {
	api SQSAPI
	url string
}

// OpenSQS checks that the queue exists and returns a sink sending table's changes of pipeline to
// it; concurrency is how many batches are in flight at once.
func OpenSQS(ctx context.Context, api SQSAPI, queueURL, table, pipeline string, concurrency int, b stream.Backoff) (*Events, error) {
	_, name, ok := QueueParts(queueURL)
	if !ok {
		return nil, fmt.Errorf("sqs sink: %q is not a queue URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME)", queueURL)
	}
	q := &sqsQueue{api: api, url: queueURL}
	_, err := api.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(queueURL), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	var nf *sqstypes.QueueDoesNotExist
	switch {
	case errors.As(err, &nf):
		return nil, fmt.Errorf("%s does not exist: create it, or fix sink.sqs.queue_url", q.target())
	case err != nil && ctx.Err() != nil:
		return nil, err
	case err != nil && retryableCall(err):
		return nil, fmt.Errorf("%s: %w", q.target(), err)
	}
	// Any other error (no permission to read attributes): the first send tells.
	return newEvents(q, table, pipeline, IsFIFO(name), concurrency, b), nil
}

func (q *sqsQueue) target() string { return "sqs queue " + q.url }

func (q *sqsQueue) send(ctx context.Context, ms []message, fifo bool) ([]rejected, error) {
	entries := make([]sqstypes.SendMessageBatchRequestEntry, len(ms))
	for i, m := range ms {
		attrs := make(map[string]sqstypes.MessageAttributeValue, len(m.attrs))
		for k, v := range m.attrs {
			attrs[k] = sqstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
		}
		entries[i] = sqstypes.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(m.body), MessageAttributes: attrs}
		if fifo {
			entries[i].MessageGroupId = aws.String(m.group)
			entries[i].MessageDeduplicationId = aws.String(m.dedup)
		}
	}
	out, err := q.api.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(q.url), Entries: entries})
	if err != nil {
		return nil, err
	}
	return collectRejected(q.target(), len(ms), out.Failed, func(f sqstypes.BatchResultErrorEntry) (string, string, string, bool) {
		return aws.ToString(f.Id), aws.ToString(f.Code), aws.ToString(f.Message), f.SenderFault
	})
}

func init() { Register("sqs", func() Config { return new(SQSConfig) }) }

// SQSConfig is the `sink: {sqs: …}` block: an SQS queue receiving one event per change
// (docs/sync.md, Events).
type SQSConfig struct {
	// QueueURL is the queue, e.g. https://sqs.eu-west-1.amazonaws.com/123456789012/orders.fifo;
	// a name ending in .fifo makes delivery ordered per key.
	QueueURL string `yaml:"queue_url"`
	// Region defaults to the region in the queue URL's host (sqs.REGION.amazonaws.com).
	Region string `yaml:"region"`
	// Endpoint overrides the service endpoint (an emulator); it does not default to the source's.
	Endpoint string `yaml:"endpoint"`
}

// QueueParts splits an SQS queue URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME) into the
// region its host names ("" when the host names none, as an emulator's does) and the queue name;
// ok is false when u is not a queue URL.
func QueueParts(u string) (region, name string, ok bool) {
	pu, err := url.Parse(u)
	if err != nil || (pu.Scheme != "https" && pu.Scheme != "http") || pu.Host == "" {
		return "", "", false
	}
	path := strings.Split(strings.Trim(pu.Path, "/"), "/")
	if len(path) != 2 || path[0] == "" || !eventTargetName.MatchString(path[1]) || len(path[1]) > 80 {
		return "", "", false
	}
	host := strings.Split(pu.Hostname(), ".")
	switch {
	case len(host) >= 4 && host[0] == "sqs" && host[len(host)-2] == "amazonaws":
		region = host[1]
	case len(host) >= 4 && host[1] == "queue" && host[len(host)-2] == "amazonaws":
		region = host[0]
	}
	return region, path[1], true
}

// Defaults takes the region from the queue URL's host.
func (q *SQSConfig) Defaults(Source) {
	if q.Region == "" {
		q.Region, _, _ = QueueParts(q.QueueURL)
	}
}

// Validate checks the queue URL.
func (q *SQSConfig) Validate(c Check) {
	switch _, _, ok := QueueParts(q.QueueURL); {
	case q.QueueURL == "":
		c.Add("queue_url", "missing: name the queue, e.g. https://sqs.eu-west-1.amazonaws.com/123456789012/orders-changed")
	case !ok:
		c.Add("queue_url", "%q is not a queue URL: want https://sqs.REGION.amazonaws.com/ACCOUNT/NAME (NAME: letters, digits, - and _, at most 80, .fifo for a FIFO queue)", q.QueueURL)
	}
}

// Publishes is true: the queue's consumers get events.
func (q *SQSConfig) Publishes() bool { return true }

// Open checks that the queue exists.
func (q *SQSConfig) Open(ctx context.Context, env Env) (Sink, error) {
	api, err := awsconf.SQS(ctx, q.Region, q.Endpoint)
	if err != nil {
		return nil, err
	}
	return opened(OpenSQS(ctx, api, q.QueueURL, env.Source, env.Pipeline, env.Concurrency, env.Backoff))
}

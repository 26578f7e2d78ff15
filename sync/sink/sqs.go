package sink

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/carve-dev/carve/sync/config"
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
	_, name, ok := config.QueueParts(queueURL)
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
	return newEvents(q, table, pipeline, config.IsFIFO(name), concurrency, b), nil
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

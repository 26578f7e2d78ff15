package sink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/smithy-go"
	"golang.org/x/sync/errgroup"

	"github.com/carve-dev/carve/sync/config"
	"github.com/carve-dev/carve/sync/stream"
)

// SNSAPI is the SNS calls the SNS sink makes; *sns.Client implements it.
type SNSAPI interface {
	PublishBatch(context.Context, *sns.PublishBatchInput, ...func(*sns.Options)) (*sns.PublishBatchOutput, error)
	Publish(context.Context, *sns.PublishInput, ...func(*sns.Options)) (*sns.PublishOutput, error)
	GetTopicAttributes(context.Context, *sns.GetTopicAttributesInput, ...func(*sns.Options)) (*sns.GetTopicAttributesOutput, error)
	ListTopics(context.Context, *sns.ListTopicsInput, ...func(*sns.Options)) (*sns.ListTopicsOutput, error)
}

// snsTopic publishes to one topic with PublishBatch. An endpoint that does not implement
// PublishBatch (some emulators) gets one Publish per entry instead, sent in parallel: a batch
// holds one entry per key, so their order does not matter.
type snsTopic struct {
	api    SNSAPI
	arn    string
	single atomic.Bool
}

// OpenSNS checks that the topic exists and returns a sink publishing table's changes of pipeline
// to it; concurrency is how many batches are in flight at once.
func OpenSNS(ctx context.Context, api SNSAPI, topicArn, table, pipeline string, concurrency int, b stream.Backoff) (*Events, error) {
	_, name, ok := config.TopicParts(topicArn)
	if !ok {
		return nil, fmt.Errorf("sns sink: %q is not a topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)", topicArn)
	}
	t := &snsTopic{api: api, arn: topicArn}
	if err := t.check(ctx); err != nil {
		return nil, err
	}
	return newEvents(t, table, pipeline, config.IsFIFO(name), concurrency, b), nil
}

func (t *snsTopic) target() string { return "sns topic " + t.arn }

// check fails when the topic does not exist. It asks GetTopicAttributes, or lists the topics on
// an endpoint without it; a worker allowed neither (only sns:Publish) learns of a missing topic
// from its first publish.
func (t *snsTopic) check(ctx context.Context) error {
	_, err := t.api.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(t.arn)})
	if err == nil {
		return nil
	}
	var nf *snstypes.NotFoundException
	if errors.As(err, &nf) {
		return fmt.Errorf("%s does not exist: create it, or fix sink.sns.topic_arn", t.target())
	}
	if !unsupported(err) {
		if ctx.Err() != nil {
			return err
		}
		var ae smithy.APIError
		if errors.As(err, &ae) {
			return nil // no permission to look: the first publish tells
		}
		return fmt.Errorf("%s: %w", t.target(), err)
	}
	p := sns.NewListTopicsPaginator(t.api, &sns.ListTopicsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("%s: list topics: %w", t.target(), err)
		}
		for _, tp := range page.Topics {
			if aws.ToString(tp.TopicArn) == t.arn {
				return nil
			}
		}
	}
	return fmt.Errorf("%s does not exist: create it, or fix sink.sns.topic_arn", t.target())
}

func (t *snsTopic) send(ctx context.Context, ms []message, fifo bool) ([]rejected, error) {
	if !t.single.Load() {
		rej, err := t.sendBatch(ctx, ms, fifo)
		if err == nil || !unsupported(err) {
			return rej, err
		}
		if t.single.CompareAndSwap(false, true) {
			slog.Warn("the SNS endpoint does not implement PublishBatch: publishing each event with Publish", "topic", t.arn)
		}
	}
	return t.sendEach(ctx, ms, fifo)
}

func snsAttrs(m message) map[string]snstypes.MessageAttributeValue {
	out := make(map[string]snstypes.MessageAttributeValue, len(m.attrs))
	for k, v := range m.attrs {
		out[k] = snstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
	}
	return out
}

func (t *snsTopic) sendBatch(ctx context.Context, ms []message, fifo bool) ([]rejected, error) {
	entries := make([]snstypes.PublishBatchRequestEntry, len(ms))
	for i, m := range ms {
		entries[i] = snstypes.PublishBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), Message: aws.String(m.body), MessageAttributes: snsAttrs(m)}
		if fifo {
			entries[i].MessageGroupId = aws.String(m.group)
			entries[i].MessageDeduplicationId = aws.String(m.dedup)
		}
	}
	out, err := t.api.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: aws.String(t.arn), PublishBatchRequestEntries: entries})
	if err != nil {
		return nil, err
	}
	return collectRejected(t.target(), len(ms), out.Failed, func(f snstypes.BatchResultErrorEntry) (string, string, string, bool) {
		return aws.ToString(f.Id), aws.ToString(f.Code), aws.ToString(f.Message), f.SenderFault
	})
}

// sendEach publishes every message with its own Publish call, in parallel.
func (t *snsTopic) sendEach(ctx context.Context, ms []message, fifo bool) ([]rejected, error) {
	rej := make([]*rejected, len(ms))
	g, gctx := errgroup.WithContext(ctx)
	for i, m := range ms {
		g.Go(func() error {
			in := &sns.PublishInput{TopicArn: aws.String(t.arn), Message: aws.String(m.body), MessageAttributes: snsAttrs(m)}
			if fifo {
				in.MessageGroupId = aws.String(m.group)
				in.MessageDeduplicationId = aws.String(m.dedup)
			}
			_, err := t.api.Publish(gctx, in)
			switch {
			case err == nil:
			case isPermanentCall(err):
				rej[i] = &rejected{index: i, permanent: true, reason: err.Error()}
			case retryableCall(err):
				rej[i] = &rejected{index: i, reason: err.Error()}
			default:
				return err
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var out []rejected
	for _, r := range rej {
		if r != nil {
			out = append(out, *r)
		}
	}
	return out, nil
}

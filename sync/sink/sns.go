package sink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/smithy-go"
	"golang.org/x/sync/errgroup"

	"github.com/carve-dev/carve/sync/awsconf"
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
	_, name, ok := TopicParts(topicArn)
	if !ok {
		return nil, fmt.Errorf("sns sink: %q is not a topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)", topicArn)
	}
	t := &snsTopic{api: api, arn: topicArn}
	if err := t.check(ctx); err != nil {
		return nil, err
	}
	return newEvents(t, table, pipeline, IsFIFO(name), concurrency, b), nil
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

func init() { Register("sns", func() Config { return new(SNSConfig) }) }

// SNSConfig is the `sink: {sns: …}` block: an SNS topic receiving one event per change
// (docs/sync.md, Events).
type SNSConfig struct {
	// TopicArn is the topic, e.g. arn:aws:sns:eu-west-1:123456789012:orders-changed; a name
	// ending in .fifo makes delivery ordered per key (message group = the item's key).
	TopicArn string `yaml:"topic_arn"`
	// Region defaults to the topic ARN's region.
	Region string `yaml:"region"`
	// Endpoint overrides the service endpoint (an emulator); it does not default to the source's.
	Endpoint string `yaml:"endpoint"`
}

// TopicParts splits an SNS topic ARN (arn:PARTITION:sns:REGION:ACCOUNT:NAME) into its region and
// name; ok is false when arn is not one.
func TopicParts(arn string) (region, name string, ok bool) {
	f := strings.Split(arn, ":")
	if len(f) != 6 || f[0] != "arn" || f[1] == "" || f[2] != "sns" || f[3] == "" || f[4] == "" || !eventTargetName.MatchString(f[5]) {
		return "", "", false
	}
	return f[3], f[5], true
}

// Defaults takes the region from the topic ARN.
func (t *SNSConfig) Defaults(Source) {
	if t.Region == "" {
		t.Region, _, _ = TopicParts(t.TopicArn)
	}
}

// Validate checks the topic ARN.
func (t *SNSConfig) Validate(c Check) {
	switch _, _, ok := TopicParts(t.TopicArn); {
	case t.TopicArn == "":
		c.Add("topic_arn", "missing: name the topic, e.g. arn:aws:sns:eu-west-1:123456789012:orders-changed")
	case !ok:
		c.Add("topic_arn", "%q is not a topic ARN: want arn:aws:sns:REGION:ACCOUNT:NAME (NAME: letters, digits, - and _, .fifo for a FIFO topic)", t.TopicArn)
	}
}

// Publishes is true: the topic's subscribers get events.
func (t *SNSConfig) Publishes() bool { return true }

// Open checks that the topic exists.
func (t *SNSConfig) Open(ctx context.Context, env Env) (Sink, error) {
	api, err := awsconf.SNS(ctx, t.Region, t.Endpoint)
	if err != nil {
		return nil, err
	}
	return opened(OpenSNS(ctx, api, t.TopicArn, env.Source, env.Pipeline, env.Concurrency, env.Backoff))
}

// Package stream reads a DynamoDB stream the way its contract demands: shards listed with
// paging, lineage (a child is read only after its parent), iterators renewed on expiry from the
// last record read, throttling retried with backoff and jitter, trimmed data reported as an
// error that tells the operator to backfill, and polling that sleeps only on an idle shard.
package stream

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	stypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/smithy-go"

	"github.com/carve-dev/carve/sync/item"
)

// API is the four DynamoDB Streams calls sync makes; *dynamodbstreams.Client implements it and
// tests use a fake.
type API interface {
	ListStreams(context.Context, *dynamodbstreams.ListStreamsInput, ...func(*dynamodbstreams.Options)) (*dynamodbstreams.ListStreamsOutput, error)
	DescribeStream(context.Context, *dynamodbstreams.DescribeStreamInput, ...func(*dynamodbstreams.Options)) (*dynamodbstreams.DescribeStreamOutput, error)
	GetShardIterator(context.Context, *dynamodbstreams.GetShardIteratorInput, ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetShardIteratorOutput, error)
	GetRecords(context.Context, *dynamodbstreams.GetRecordsInput, ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetRecordsOutput, error)
}

// Shard is one shard of a stream.
type Shard struct {
	ID     string
	Parent string // "" for a shard without parent
	// Closed is true once the shard has an ending sequence number: reading it to the end
	// finishes it.
	Closed bool
}

// Event is what happened to the item.
type Event string

// Events; TTL deletions show up as Remove on AWS and as an unknown name on DynamoDB Local.
const (
	Insert  Event = "INSERT"
	Modify  Event = "MODIFY"
	Remove  Event = "REMOVE"
	Unknown Event = "UNKNOWN"
)

// Record is one change read from a shard.
type Record struct {
	Shard string
	// Seq is the sequence number as the stream returned it (21–40 digits).
	Seq string
	// Version is Seq zero-padded to 40 digits: what sinks store and compare.
	Version string
	Event   Event
	Keys    item.Item
	New     item.Item // nil for a delete or a KEYS_ONLY/OLD_IMAGE stream
	Old     item.Item
	// Created is ApproximateCreationDateTime (rounded by the service; to the minute on DynamoDB
	// Local).
	Created time.Time
}

// IsDelete reports whether the record removes the item. An unknown event without a new image
// (a TTL deletion on DynamoDB Local) counts as a delete.
func (r Record) IsDelete() bool {
	return r.Event == Remove || (r.Event == Unknown && r.New == nil)
}

// Image is the item the record is about: the new image, else the old one, else the keys.
func (r Record) Image() item.Item {
	switch {
	case r.New != nil:
		return r.New
	case r.Old != nil:
		return r.Old
	default:
		return r.Keys
	}
}

// ParseRecord converts a stream record from the SDK, rejecting what sync cannot apply safely.
func ParseRecord(shard string, in stypes.Record) (Record, error) {
	if in.Dynamodb == nil {
		return Record{}, fmt.Errorf("shard %s: record %s without a dynamodb section", shard, aws.ToString(in.EventID))
	}
	d := in.Dynamodb
	seq := aws.ToString(d.SequenceNumber)
	v, err := item.PadSeq(seq)
	if err != nil {
		return Record{}, fmt.Errorf("shard %s: %w", shard, err)
	}
	r := Record{Shard: shard, Seq: seq, Version: v}
	switch in.EventName {
	case stypes.OperationTypeInsert:
		r.Event = Insert
	case stypes.OperationTypeModify:
		r.Event = Modify
	case stypes.OperationTypeRemove:
		r.Event = Remove
	default:
		r.Event = Unknown
	}
	if r.Keys, err = item.FromStream(d.Keys); err != nil {
		return Record{}, fmt.Errorf("shard %s seq %s keys: %w", shard, seq, err)
	}
	if len(r.Keys) == 0 {
		return Record{}, fmt.Errorf("shard %s seq %s: record without keys", shard, seq)
	}
	if r.New, err = item.FromStream(d.NewImage); err != nil {
		return Record{}, fmt.Errorf("shard %s seq %s new image: %w", shard, seq, err)
	}
	if r.Old, err = item.FromStream(d.OldImage); err != nil {
		return Record{}, fmt.Errorf("shard %s seq %s old image: %w", shard, seq, err)
	}
	if d.ApproximateCreationDateTime != nil {
		r.Created = *d.ApproximateCreationDateTime
	}
	return r, nil
}

// ListShards lists every shard of the stream, following DescribeStream's pages
// (ExclusiveStartShardId), retrying throttling.
func ListShards(ctx context.Context, api API, arn string, b Backoff) ([]Shard, error) {
	var out []Shard
	var start *string
	for {
		var page *dynamodbstreams.DescribeStreamOutput
		err := b.Retry(ctx, func() error {
			var err error
			page, err = api.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(arn), ExclusiveStartShardId: start})
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("describe stream %s: %w", arn, err)
		}
		if page.StreamDescription == nil {
			return nil, fmt.Errorf("describe stream %s: no description", arn)
		}
		for _, s := range page.StreamDescription.Shards {
			sh := Shard{ID: aws.ToString(s.ShardId), Parent: aws.ToString(s.ParentShardId)}
			if s.SequenceNumberRange != nil && s.SequenceNumberRange.EndingSequenceNumber != nil {
				sh.Closed = true
			}
			out = append(out, sh)
		}
		start = page.StreamDescription.LastEvaluatedShardId
		if start == nil {
			return out, nil
		}
	}
}

// Backoff retries throttling and transient errors with exponential backoff and full jitter.
type Backoff struct {
	Initial  time.Duration // default 50ms
	Max      time.Duration // default 5s
	Attempts int           // 0: until ctx ends
	// OnRetry, if set, is told about every retry (metrics).
	OnRetry func(err error)
}

// Retry calls f until it succeeds, fails with an error that is not retryable, runs out of
// attempts, or ctx ends.
func (b Backoff) Retry(ctx context.Context, f func() error) error {
	for attempt := 1; ; attempt++ {
		err := f()
		if err == nil || !Retryable(err) || (b.Attempts > 0 && attempt >= b.Attempts) {
			return err
		}
		if b.OnRetry != nil {
			b.OnRetry(err)
		}
		if err := b.Wait(ctx, attempt); err != nil {
			return err
		}
	}
}

// Wait sleeps before retry number attempt (1, 2, …): a random time up to Initial·2^(attempt-1),
// capped at Max (full jitter), so that writers that collided (throttling, unprocessed items, a
// transaction conflict) do not collide again in step.
func (b Backoff) Wait(ctx context.Context, attempt int) error {
	ceil := b.Initial
	if ceil <= 0 {
		ceil = 50 * time.Millisecond
	}
	max := b.Max
	if max <= 0 {
		max = 5 * time.Second
	}
	for i := 1; i < attempt && ceil < max; i++ {
		ceil *= 2
	}
	return Sleep(ctx, time.Duration(rand.Int64N(int64(min(ceil, max))))+1)
}

// Sleep waits d or until ctx ends.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Retryable reports whether err is throttling or a transient service error.
func Retryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var le *stypes.LimitExceededException
	if errors.As(err, &le) {
		return true
	}
	var ie *stypes.InternalServerError
	if errors.As(err, &ie) {
		return true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded", "InternalFailure", "ServiceUnavailable", "LimitExceededException", "InternalServerError":
			return true
		}
		return false
	}
	// Not an API error: a connection reset or timeout.
	return true
}

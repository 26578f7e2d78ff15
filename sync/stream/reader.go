package stream

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	stypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// ErrTrimmed reports that records the shard still had to deliver are past the stream's 24-hour
// retention: changes were lost to this consumer and only a backfill repairs the sink.
var ErrTrimmed = errors.New("records trimmed from the stream")

// ErrShardGone reports that the shard no longer exists (closed more than 24 hours ago).
var ErrShardGone = errors.New("shard no longer exists")

// Reader reads one shard from a position to its end (or until its context ends).
type Reader struct {
	API    API
	Stream string
	Shard  Shard
	// Limit is GetRecords' Limit (1..1000).
	Limit int
	// IdleWait is the longest pause on an idle shard; the pause starts at a tenth of it and
	// doubles while pages are empty. After a partial page it is a tenth of IdleWait; after a
	// full page (a backlog) there is none.
	IdleWait time.Duration
	// Latest starts a shard without a position at its newest record instead of its oldest.
	Latest  bool
	Backoff Backoff
	// OnIteratorRenewed, if set, is told when an expired iterator was renewed (tests, logs).
	OnIteratorRenewed func()
}

// mergePages is how many queued pages one batch may combine.
const mergePages = 4

// Batch is the records of one or more consecutive GetRecords pages, in shard order.
type Batch struct {
	Records []Record
	// End is true on the last batch of a closed shard: once it is handled the shard is done.
	End bool
}

// Read reads from after the sequence number after ("" = the shard's start, or its newest record
// with Latest) and calls handle for every non-empty page in order and once with End at the end of
// a closed shard. handle's error stops the read and is returned. Read returns nil once a closed
// shard is fully handled, ErrTrimmed or ErrShardGone (wrapped, naming the shard) when the stream
// cannot deliver, and ctx.Err() when ctx ends. The next page is fetched while handle runs.
func (r *Reader) Read(ctx context.Context, after string, handle func(context.Context, Batch) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pages := make(chan Batch, mergePages)
	fetchErr := make(chan error, 1)
	go func() {
		defer close(pages)
		fetchErr <- r.fetch(ctx, after, pages)
	}()
	for b := range pages {
		// While a backlog drains, pages queue up behind the handler: hand them over together
		// (up to mergePages), so that the sink gets bigger batches and more parallel writes.
	merge:
		for !b.End && len(b.Records) < mergePages*1000 {
			select {
			case more, ok := <-pages:
				if !ok {
					break merge
				}
				b.Records = append(b.Records, more.Records...)
				b.End = more.End
			default:
				break merge
			}
		}
		if err := handle(ctx, b); err != nil {
			cancel()
			for range pages {
			}
			<-fetchErr
			return err
		}
	}
	return <-fetchErr
}

func (r *Reader) fetch(ctx context.Context, after string, pages chan<- Batch) error {
	last := after // last sequence number read: where a renewed iterator resumes
	it, err := r.iterator(ctx, last)
	if err != nil {
		return err
	}
	limit := int32(r.Limit)
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	idle := r.IdleWait
	if idle <= 0 {
		idle = 500 * time.Millisecond
	}
	wait := time.Duration(0)
	startTrims := 0
	for {
		var out *dynamodbstreams.GetRecordsOutput
		err := r.Backoff.Retry(ctx, func() error {
			var err error
			out, err = r.API.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: it, Limit: aws.Int32(limit)})
			return err
		})
		var expired *stypes.ExpiredIteratorException
		var trimmed *stypes.TrimmedDataAccessException
		switch {
		case errors.As(err, &trimmed) && last == "" && !r.Latest && startTrims < 5:
			// Nothing read yet and the iterator was at the shard's start: the oldest records
			// aged out meanwhile (DynamoDB Local also says so spuriously on a fresh shard). A
			// new TRIM_HORIZON iterator starts at the oldest record kept: no gap is possible.
			startTrims++
			if err := Sleep(ctx, time.Duration(startTrims)*50*time.Millisecond); err != nil {
				return err
			}
			if it, err = r.iterator(ctx, last); err != nil {
				return err
			}
			continue
		case errors.As(err, &expired):
			// Resume right after the last record read, never at LATEST: nothing is skipped.
			if it, err = r.iterator(ctx, last); err != nil {
				return err
			}
			if r.OnIteratorRenewed != nil {
				r.OnIteratorRenewed()
			}
			continue
		case err != nil:
			return r.classify("get records", last, err)
		}
		b := Batch{Records: make([]Record, 0, len(out.Records))}
		for _, rec := range out.Records {
			p, err := ParseRecord(r.Shard.ID, rec)
			if err != nil {
				return fmt.Errorf("stream %s: %w", r.Stream, err)
			}
			b.Records = append(b.Records, p)
		}
		if len(b.Records) > 0 {
			last = b.Records[len(b.Records)-1].Seq
		}
		it = out.NextShardIterator
		b.End = it == nil
		if len(b.Records) > 0 || b.End {
			select {
			case pages <- b:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if b.End {
			return nil
		}
		// Adaptive polling: no pause while a backlog drains (full pages); a short pause at the
		// tip of a busy shard (a partial page), so that records gather into bigger batches
		// instead of one GetRecords call per record (the service allows 5 calls a second per
		// shard; DynamoDB Local slows its writers under a tight poll); a pause growing up to
		// IdleWait while pages come back empty.
		if len(b.Records) >= int(limit) {
			wait = 0
			continue
		}
		if len(b.Records) > 0 {
			wait = 0
			if err := Sleep(ctx, idle/10); err != nil {
				return err
			}
			continue
		}
		if wait == 0 {
			wait = idle / 10
		} else {
			wait = min(wait*2, idle)
		}
		if err := Sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// iterator gets an iterator right after seq, or at the shard's start (or newest record).
func (r *Reader) iterator(ctx context.Context, after string) (*string, error) {
	in := &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(r.Stream), ShardId: aws.String(r.Shard.ID)}
	switch {
	case after != "":
		in.ShardIteratorType = stypes.ShardIteratorTypeAfterSequenceNumber
		in.SequenceNumber = aws.String(after)
	case r.Latest:
		in.ShardIteratorType = stypes.ShardIteratorTypeLatest
	default:
		in.ShardIteratorType = stypes.ShardIteratorTypeTrimHorizon
	}
	var out *dynamodbstreams.GetShardIteratorOutput
	err := r.Backoff.Retry(ctx, func() error {
		var err error
		out, err = r.API.GetShardIterator(ctx, in)
		return err
	})
	if err != nil {
		return nil, r.classify("get shard iterator", after, err)
	}
	return out.ShardIterator, nil
}

func (r *Reader) classify(op, after string, err error) error {
	pos := "its start"
	if after != "" {
		pos = "after sequence number " + after
	}
	var trimmed *stypes.TrimmedDataAccessException
	if errors.As(err, &trimmed) {
		return fmt.Errorf("stream %s shard %s: %w reading %s (the checkpoint is older than the 24-hour retention): changes were missed; run `carve sync backfill` to repair the sinks and move the checkpoint: %v", r.Stream, r.Shard.ID, ErrTrimmed, pos, err)
	}
	var gone *stypes.ResourceNotFoundException
	if errors.As(err, &gone) {
		return fmt.Errorf("stream %s shard %s: %w (%s %s): %v", r.Stream, r.Shard.ID, ErrShardGone, op, pos, err)
	}
	return fmt.Errorf("stream %s shard %s: %s %s: %w", r.Stream, r.Shard.ID, op, pos, err)
}

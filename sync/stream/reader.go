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
	Backoff  Backoff
	// OnIteratorRenewed, if set, is told when an expired iterator was renewed (tests, logs).
	OnIteratorRenewed func()
	// OnCaughtUp, if set, is told when a page came back short of Limit (or empty): the shard
	// held no record after last (the last sequence number read, "" for none) when the call
	// was made, at asOf.
	OnCaughtUp func(asOf time.Time, last string)
}

// aheadPages is how many pages' worth of records (Limit each) the reader reads ahead of the
// handler; past that it waits, and the rest stays in the stream.
const aheadPages = 4

// Batch is the records of one or more consecutive GetRecords pages, in shard order.
type Batch struct {
	Records []Record
	// End is true on the last batch of a closed shard: once it is handled the shard is done.
	End bool
}

// Read reads from after the sequence number after ("" = the shard's start) and calls handle, one call at a time, with the records in order, and once with End
// at the end of a closed shard. handle's error stops the read and is returned. Read returns nil
// once a closed shard is fully handled, ErrTrimmed or ErrShardGone (wrapped, naming the shard)
// when the stream cannot deliver, and ctx.Err() when ctx ends.
//
// The shard is read while handle runs: each call gets every record read since the previous call
// began (up to four pages' worth), so a record waits for at most the batch in hand, not for the
// pages queued in front of it, and a busy sink gets bigger batches and more parallel writes.
func (r *Reader) Read(ctx context.Context, after string, handle func(context.Context, Batch) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Unbuffered: a batch changes hands only when the handler is ready for it, so whatever was
	// read until then is in it.
	batches := make(chan Batch)
	fetchErr := make(chan error, 1)
	go func() {
		defer close(batches)
		fetchErr <- r.fetch(ctx, after, batches)
	}()
	for b := range batches {
		if err := handle(ctx, b); err != nil {
			cancel()
			for range batches {
			}
			<-fetchErr
			return err
		}
	}
	return <-fetchErr
}

// pending is what the reader read and the handler has not taken yet.
type pending struct {
	b   Batch
	out chan<- Batch
}

// wait pauses for d, handing the pending records over as soon as the handler asks for them; with
// d < 0 it waits until they are handed over, with d == 0 it only offers them.
func (p *pending) wait(ctx context.Context, d time.Duration) error {
	var timeout <-chan time.Time
	if d >= 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	for {
		var out chan<- Batch
		if len(p.b.Records) > 0 || p.b.End {
			out = p.out
		} else if d < 0 {
			return nil
		}
		if d == 0 {
			select {
			case out <- p.b:
				p.b = Batch{}
			default:
			}
			return nil
		}
		select {
		case out <- p.b:
			p.b = Batch{}
			if d < 0 {
				return nil
			}
		case <-timeout:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (r *Reader) fetch(ctx context.Context, after string, out chan<- Batch) error {
	f := &fetcher{r: r, last: after, limit: int32(r.Limit), idle: r.IdleWait, p: &pending{out: out}}
	if f.limit <= 0 || f.limit > 1000 {
		f.limit = 1000
	}
	if f.idle <= 0 {
		f.idle = 500 * time.Millisecond
	}
	var err error
	if f.it, err = r.iterator(ctx, f.last); err != nil {
		return err
	}
	for {
		asked := time.Now()
		got, err := f.getRecords(ctx)
		if err != nil {
			if err = f.recover(ctx, err); err != nil {
				return err
			}
			continue
		}
		if err := f.take(got, asked); err != nil {
			return err
		}
		if f.it = got.NextShardIterator; f.it == nil {
			f.p.b.End = true
			return f.p.wait(ctx, -1)
		}
		if len(f.p.b.Records) >= aheadPages*int(f.limit) {
			// The handler is behind: read no further until it takes what is here.
			if err := f.p.wait(ctx, -1); err != nil {
				return err
			}
		}
		if err := f.p.wait(ctx, f.pause(len(got.Records))); err != nil {
			return err
		}
	}
}

// fetcher is one fetch loop's state: the iterator, the last sequence number read (where a
// renewed iterator resumes), the batch being gathered and the polling pause.
type fetcher struct {
	r          *Reader
	it         *string
	last       string
	limit      int32
	idle, wait time.Duration
	startTrims int
	p          *pending
}

// getRecords reads the next page, retrying transient errors with the reader's backoff.
func (f *fetcher) getRecords(ctx context.Context) (*dynamodbstreams.GetRecordsOutput, error) {
	var got *dynamodbstreams.GetRecordsOutput
	err := f.r.Backoff.Retry(ctx, func() error {
		var err error
		got, err = f.r.API.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: f.it, Limit: aws.Int32(f.limit)})
		return err
	})
	return got, err
}

// recover handles a failed read: it renews the iterator when that loses nothing (nil: read
// again), else hands what was read to the handler and returns the classified error.
func (f *fetcher) recover(ctx context.Context, err error) error {
	var expired *stypes.ExpiredIteratorException
	var trimmed *stypes.TrimmedDataAccessException
	switch {
	case errors.As(err, &trimmed) && f.last == "" && f.startTrims < 5:
		// Nothing read yet and the iterator was at the shard's start: the oldest records
		// aged out meanwhile (DynamoDB Local also says so spuriously on a fresh shard). A
		// new TRIM_HORIZON iterator starts at the oldest record kept: no gap is possible.
		f.startTrims++
		if err := Sleep(ctx, time.Duration(f.startTrims)*50*time.Millisecond); err != nil {
			return err
		}
		f.it, err = f.r.iterator(ctx, f.last)
		return err
	case errors.As(err, &expired):
		// Resume right after the last record read, never at LATEST: nothing is skipped.
		if f.it, err = f.r.iterator(ctx, f.last); err != nil {
			return err
		}
		if f.r.OnIteratorRenewed != nil {
			f.r.OnIteratorRenewed()
		}
		return nil
	default:
		// What was read before the error is handled first: a shard stopped by an error (a
		// trimmed iterator, a refused call) has applied everything it could read.
		if werr := f.p.wait(ctx, -1); werr != nil {
			return werr
		}
		return f.r.classify("get records", f.last, err)
	}
}

// take adds a page's records to the batch being gathered; a page short of the limit, asked for
// at asked, tells OnCaughtUp.
func (f *fetcher) take(got *dynamodbstreams.GetRecordsOutput, asked time.Time) error {
	for _, rec := range got.Records {
		rec, err := ParseRecord(f.r.Shard.ID, rec)
		if err != nil {
			return fmt.Errorf("stream %s: %w", f.r.Stream, err)
		}
		f.p.b.Records = append(f.p.b.Records, rec)
		f.last = rec.Seq
	}
	if len(got.Records) < int(f.limit) && f.r.OnCaughtUp != nil {
		// A page short of the limit holds every record there was when it was asked for.
		f.r.OnCaughtUp(asked, f.last)
	}
	return nil
}

// pause is how long to wait after a page of n records. Adaptive polling: no pause while a
// backlog drains (full pages); a short pause at the tip of a busy shard (a partial page), so
// that records gather into bigger batches instead of one GetRecords call per record (the
// service allows 5 calls a second per shard; DynamoDB Local slows its writers under a tight
// poll); a pause growing up to IdleWait while pages come back empty. A handler ready for more
// gets what was read at once, during the pause or without one.
func (f *fetcher) pause(n int) time.Duration {
	switch {
	case n >= int(f.limit):
		f.wait = 0
		return 0
	case n > 0:
		f.wait = 0
		return f.idle / 10
	case f.wait == 0:
		f.wait = f.idle / 10
	default:
		f.wait = min(f.wait*2, f.idle)
	}
	return f.wait
}

// iterator gets an iterator right after seq, or at the shard's start. Never at LATEST: where a
// shard starts for `start_from: latest` is a sequence number the job stored (see job).
func (r *Reader) iterator(ctx context.Context, after string) (*string, error) {
	in := &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(r.Stream), ShardId: aws.String(r.Shard.ID)}
	switch {
	case after != "":
		in.ShardIteratorType = stypes.ShardIteratorTypeAfterSequenceNumber
		in.SequenceNumber = aws.String(after)
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

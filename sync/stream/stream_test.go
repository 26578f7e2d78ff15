package stream_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	stypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/smithy-go"

	"github.com/carve-dev/carve/sync/internal/fakestream"
	"github.com/carve-dev/carve/sync/item"
	"github.com/carve-dev/carve/sync/stream"
)

var fast = stream.Backoff{Initial: time.Millisecond, Max: 5 * time.Millisecond}

func TestListShardsPagesAndRetriesThrottling(t *testing.T) {
	f := fakestream.New("arn:fake")
	for i := 0; i < 7; i++ {
		f.AddShard(fmt.Sprintf("s%d", i), "")
	}
	f.PageShards = 2
	f.ThrottleEvery = 3
	var retries atomic.Int32
	b := fast
	b.OnRetry = func(error) { retries.Add(1) }
	shards, err := stream.ListShards(context.Background(), f, "arn:fake", b)
	if err != nil {
		t.Fatal(err)
	}
	if len(shards) != 7 || shards[6].ID != "s6" {
		t.Fatalf("want 7 shards over 4 pages, got %+v", shards)
	}
	if f.Throttled == 0 || int(retries.Load()) != f.Throttled {
		t.Fatalf("throttled %d, retried %d", f.Throttled, retries.Load())
	}
}

// read runs a reader until it has seen want records or the shard ends.
func read(t *testing.T, r *stream.Reader, after string, want int) ([]stream.Record, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got []stream.Record
	err := r.Read(ctx, after, func(_ context.Context, b stream.Batch) error {
		got = append(got, b.Records...)
		if len(got) >= want && !b.End {
			return errStop
		}
		return nil
	})
	if errors.Is(err, errStop) {
		err = nil
	}
	return got, err
}

var errStop = errors.New("stop")

func TestReaderPagesThrottlingAndShardEnd(t *testing.T) {
	f := fakestream.New("arn:fake")
	f.AddShard("s0", "")
	for i := 0; i < 25; i++ {
		f.Put("s0", fmt.Sprint("k", i), "v")
	}
	f.Close("s0")
	f.ThrottleEvery = 4
	r := &stream.Reader{API: f, Stream: "arn:fake", Shard: stream.Shard{ID: "s0", Closed: true}, Limit: 10, Backoff: fast, IdleWait: 10 * time.Millisecond}
	got, err := read(t, r, "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 25 {
		t.Fatalf("read %d records, want 25", len(got))
	}
	for i := 1; i < len(got); i++ {
		if got[i].Version <= got[i-1].Version {
			t.Fatalf("out of order at %d", i)
		}
	}
	if f.GetRecordsCalls["s0"] < 3 {
		t.Fatalf("Limit 10 over 25 records needs at least 3 pages, made %d calls", f.GetRecordsCalls["s0"])
	}
	if f.Throttled == 0 {
		t.Fatal("no throttling injected")
	}
}

func TestReaderRenewsExpiredIteratorAfterLastRecord(t *testing.T) {
	f := fakestream.New("arn:fake")
	f.AddShard("s0", "")
	for i := 0; i < 5; i++ {
		f.Put("s0", fmt.Sprint("k", i), "v")
	}
	renewed := 0
	r := &stream.Reader{API: f, Stream: "arn:fake", Shard: stream.Shard{ID: "s0"}, Limit: 1000, Backoff: fast, IdleWait: 10 * time.Millisecond,
		OnIteratorRenewed: func() { renewed++ }}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got []stream.Record
	err := r.Read(ctx, "", func(_ context.Context, b stream.Batch) error {
		got = append(got, b.Records...)
		if len(got) == 5 {
			f.Expire() // every outstanding iterator dies, as after 15 minutes
			for i := 5; i < 8; i++ {
				f.Put("s0", fmt.Sprint("k", i), "v")
			}
		}
		if len(got) == 8 {
			return errStop
		}
		return nil
	})
	if !errors.Is(err, errStop) {
		t.Fatal(err)
	}
	if renewed == 0 {
		t.Fatal("iterator was not renewed")
	}
	last := ""
	for _, c := range f.Calls() {
		if strings.HasPrefix(c, "iter s0 AFTER_SEQUENCE_NUMBER") {
			last = c
		}
		if strings.HasPrefix(c, "iter s0 LATEST") {
			t.Fatalf("renewed at LATEST: %v", f.Calls())
		}
	}
	if last != "iter s0 AFTER_SEQUENCE_NUMBER "+got[4].Seq {
		t.Fatalf("want renewal after %s, calls %v", got[4].Seq, f.Calls())
	}
}

func TestReaderTrimmedTellsToBackfill(t *testing.T) {
	f := fakestream.New("arn:fake")
	f.AddShard("s0", "")
	var seqs []string
	for i := 0; i < 5; i++ {
		seqs = append(seqs, f.Put("s0", fmt.Sprint("k", i), "v"))
	}
	f.Trim(seqs[3])
	r := &stream.Reader{API: f, Stream: "arn:fake", Shard: stream.Shard{ID: "s0"}, Limit: 1000, Backoff: fast}
	_, err := read(t, r, seqs[0], 10)
	if !errors.Is(err, stream.ErrTrimmed) || !strings.Contains(err.Error(), "carve sync backfill") || !strings.Contains(err.Error(), "s0") {
		t.Fatalf("want ErrTrimmed naming the shard and backfill, got %v", err)
	}
}

func TestReaderAdaptivePolling(t *testing.T) {
	f := fakestream.New("arn:fake")
	f.AddShard("s0", "")
	r := &stream.Reader{API: f, Stream: "arn:fake", Shard: stream.Shard{ID: "s0"}, Limit: 100, Backoff: fast, IdleWait: 200 * time.Millisecond}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	r.Read(ctx, "", func(context.Context, stream.Batch) error { return nil })
	// Idle for 1s with pauses 20, 40, 80, 160, 200, 200…: about 9 polls, never a busy loop.
	if n := f.GetRecordsCalls["s0"]; n > 15 || n < 4 {
		t.Fatalf("idle shard polled %d times in 1s, want a handful", n)
	}
	// While records flow there is no pause: 10 full pages come back in far less than 10 pauses.
	f2 := fakestream.New("arn:fake")
	f2.AddShard("s0", "")
	for i := 0; i < 1000; i++ {
		f2.Put("s0", fmt.Sprint("k", i), "v")
	}
	r2 := &stream.Reader{API: f2, Stream: "arn:fake", Shard: stream.Shard{ID: "s0"}, Limit: 100, Backoff: fast, IdleWait: 500 * time.Millisecond}
	start := time.Now()
	got, err := read(t, r2, "", 1000)
	if err != nil || len(got) != 1000 {
		t.Fatalf("read %d: %v", len(got), err)
	}
	if d := time.Since(start); d > 400*time.Millisecond {
		t.Fatalf("1000 records in pages of 100 took %s: the reader paused while records flowed", d)
	}
}

func TestParseRecordRejectsBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		rec  stypes.Record
		want string
	}{
		{"no dynamodb", stypes.Record{}, "without a dynamodb section"},
		{"bad seq", stypes.Record{Dynamodb: &stypes.StreamRecord{SequenceNumber: aws.String("12a")}}, "decimal digits"},
		{"long seq", stypes.Record{Dynamodb: &stypes.StreamRecord{SequenceNumber: aws.String(strings.Repeat("1", 41))}}, "1 to 40 digits"},
		{"no keys", stypes.Record{Dynamodb: &stypes.StreamRecord{SequenceNumber: aws.String("1")}}, "without keys"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := stream.ParseRecord("s0", tc.rec)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want %q, got %v", tc.want, err)
			}
		})
	}
	r, err := stream.ParseRecord("s0", stypes.Record{EventName: "UNKNOWN_TO_SDK_VERSION", Dynamodb: &stypes.StreamRecord{SequenceNumber: aws.String("000000000000000000042"),
		Keys: map[string]stypes.AttributeValue{"pk": &stypes.AttributeValueMemberS{Value: "a"}}}})
	if err != nil || r.Event != stream.Unknown || !r.IsDelete() || r.Version != strings.Repeat("0", 38)+"42" {
		t.Fatalf("TTL delete on DynamoDB Local: %+v %v", r, err)
	}
}

// TestReaderHandsOverEverythingReadMeanwhile: records that arrive one by one while the handler is
// busy are all read meanwhile and handed over together, however many pages they came in; none
// waits in the stream for the batch after next.
func TestReaderHandsOverEverythingReadMeanwhile(t *testing.T) {
	f := fakestream.New("arn:fake")
	f.AddShard("s0", "")
	f.Put("s0", "k0", "v")
	gets := func() int {
		n := 0
		for _, c := range f.Calls() {
			if c == "get s0" {
				n++
			}
		}
		return n
	}
	r := &stream.Reader{API: f, Stream: "arn:fake", Shard: stream.Shard{ID: "s0"}, Limit: 10, Backoff: fast, IdleWait: 10 * time.Millisecond}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const meanwhile = 6 // more pages than the reader may hold, fewer records
	var batches [][]stream.Record
	err := r.Read(ctx, "", func(_ context.Context, b stream.Batch) error {
		batches = append(batches, b.Records)
		if len(batches) == 2 {
			return errStop
		}
		for i := 1; i <= meanwhile; i++ {
			f.Put("s0", fmt.Sprint("k", i), "v")
			// Two more reads make sure the record was read (a reader that stopped reading never
			// gets there: give up after a while and let the check below fail).
			for n, giveUp := gets()+2, time.Now().Add(2*time.Second); gets() < n && time.Now().Before(giveUp); {
				time.Sleep(time.Millisecond)
			}
		}
		return nil
	})
	if !errors.Is(err, errStop) {
		t.Fatal(err)
	}
	if len(batches[0]) != 1 || len(batches[1]) != meanwhile {
		t.Fatalf("batches of %d and %d records, want 1 and %d", len(batches[0]), len(batches[1]), meanwhile)
	}
	for i, rec := range batches[1] {
		if want := fmt.Sprint("k", i+1); item.Str(rec.Keys, "pk") != want {
			t.Fatalf("record %d is %s, want %s", i, item.Str(rec.Keys, "pk"), want)
		}
	}
}

// failingGets fails the GetRecords call numbered failAt (1-based) with a non-retryable error.
type failingGets struct {
	*fakestream.Stream
	failAt int
	n      atomic.Int32
}

var errBoom = errors.New("boom")

func (f *failingGets) GetRecords(ctx context.Context, in *dynamodbstreams.GetRecordsInput, o ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetRecordsOutput, error) {
	if int(f.n.Add(1)) == f.failAt {
		return nil, &smithy.GenericAPIError{Code: "AccessDeniedException", Message: errBoom.Error()}
	}
	return f.Stream.GetRecords(ctx, in, o...)
}

// Records read ahead of the handler are handed over before a read error ends the shard's read,
// so a shard stopped by an error has applied everything it read before it.
func TestReaderHandsOverReadRecordsBeforeAnError(t *testing.T) {
	f := fakestream.New("arn:fake")
	f.AddShard("s0", "")
	for i := range 4 {
		f.Put("s0", fmt.Sprint("k", i), "v")
	}
	api := &failingGets{Stream: f, failAt: 3} // pages [k0 k1] [k2 k3], then the error
	r := &stream.Reader{API: api, Stream: "arn:fake", Shard: stream.Shard{ID: "s0"}, Limit: 2, Backoff: fast, IdleWait: 10 * time.Millisecond}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var got []string
	err := r.Read(ctx, "", func(_ context.Context, b stream.Batch) error {
		for _, rec := range b.Records {
			got = append(got, item.Str(rec.Keys, "pk"))
		}
		// Hold the first batch until the reader has read the second page and failed the third
		// call, so the second page is still the reader's when the error comes.
		for giveUp := time.Now().Add(5 * time.Second); api.n.Load() < 3 && time.Now().Before(giveUp); {
			time.Sleep(time.Millisecond)
		}
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("want the read error, got %v", err)
	}
	if strings.Join(got, ",") != "k0,k1,k2,k3" {
		t.Fatalf("handled %v before the error, want k0..k3", got)
	}
}

// TestBackoffWaitEndsWithContext: a retry wait (unprocessed items, transaction conflicts) ends
// when its context does, whatever its ceiling.
func TestBackoffWaitEndsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := (stream.Backoff{Initial: time.Hour}).Wait(ctx, 3); err == nil {
		t.Fatal("a wait ignored its cancelled context")
	}
}

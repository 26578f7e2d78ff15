package stream

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	stypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// Tip reads a shard from after the sequence number after (or its start) up to the newest record
// and returns that record's sequence number ("" when there is none past after) and whether the
// shard is closed and fully read. A position that was trimmed is read from the shard's start
// instead. The tip is where the first empty page appears: records written after Tip returns
// are after the tip.
func Tip(ctx context.Context, api API, arn, shard, after string, b Backoff) (last string, end bool, err error) {
	r := &Reader{API: api, Stream: arn, Shard: Shard{ID: shard}, Backoff: b}
	it, err := r.iterator(ctx, after)
	if errors.Is(err, ErrTrimmed) && after != "" {
		it, err = r.iterator(ctx, "")
	}
	if err != nil {
		return "", false, err
	}
	for {
		var out *dynamodbstreams.GetRecordsOutput
		err := b.Retry(ctx, func() error {
			var err error
			out, err = api.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: it, Limit: aws.Int32(1000)})
			return err
		})
		var trimmed *stypes.TrimmedDataAccessException
		if errors.As(err, &trimmed) && after != "" {
			// The checkpoint is past retention: start over from the oldest record kept.
			after = ""
			if it, err = r.iterator(ctx, ""); err != nil {
				return "", false, err
			}
			continue
		}
		if err != nil {
			return "", false, r.classify("get records", after, err)
		}
		if n := len(out.Records); n > 0 && out.Records[n-1].Dynamodb != nil {
			last = aws.ToString(out.Records[n-1].Dynamodb.SequenceNumber)
		}
		if out.NextShardIterator == nil {
			return last, true, nil
		}
		if len(out.Records) == 0 {
			return last, false, nil
		}
		it = out.NextShardIterator
	}
}

// Package fakestream is an in-memory DynamoDB stream behind the four calls sync makes, for the
// paths DynamoDB Local cannot produce: several shards at once, splits, throttling, page limits,
// and deterministic iterator expiry and trimming.
package fakestream

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// Stream is a fake stream. All methods are safe for concurrent use.
type Stream struct {
	mu     sync.Mutex
	Arn    string
	shards []*shard
	seq    int64
	// PageShards is how many shards DescribeStream returns per page (default 100).
	PageShards int
	// ThrottleEvery makes every n-th call fail with LimitExceededException (0: never).
	ThrottleEvery int
	calls         int
	// Throttled counts the throttling errors returned.
	Throttled int
	// expireGen invalidates iterators handed out before Expire.
	expireGen int
	// trimBelow makes reads of records below this sequence number fail as trimmed.
	trimBelow int64
	// Log records calls: "iter <shard> <type> <seq>", "get <shard>".
	Log []string
	// GetRecordsCalls counts GetRecords calls per shard.
	GetRecordsCalls map[string]int
}

type shard struct {
	id, parent string
	closed     bool
	// gone: aged out of the stream (closed more than 24 hours ago): not listed, not readable.
	gone bool
	// unreadable: still listed, but reads fail as for a shard that expired.
	unreadable bool
	recs       []types.Record
}

// New returns a stream with no shards.
func New(arn string) *Stream {
	return &Stream{Arn: arn, GetRecordsCalls: map[string]int{}}
}

// AddShard adds an open shard with an optional parent.
func (s *Stream) AddShard(id, parent string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shards = append(s.shards, &shard{id: id, parent: parent})
}

// Close closes a shard (it gets an ending sequence number).
func (s *Stream) Close(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.find(id).closed = true
}

// AgeOut removes a shard as the service does 24 hours after it closed: DescribeStream no longer
// lists it and every call on it fails with ResourceNotFoundException.
func (s *Stream) AgeOut(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.find(id)
	sh.closed, sh.gone = true, true
}

// Unreadable makes a shard's reads fail with ResourceNotFoundException while DescribeStream still
// lists it: a shard expiring between the listing and the read.
func (s *Stream) Unreadable(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.find(id)
	sh.closed, sh.unreadable = true, true
}

func (s *Stream) find(id string) *shard {
	for _, sh := range s.shards {
		if sh.id == id {
			return sh
		}
	}
	panic("fakestream: no shard " + id)
}

// Put appends a record to a shard: an INSERT/MODIFY of the item pk=key with attribute v, or a
// REMOVE when v is "". It returns the sequence number.
func (s *Stream) Put(shardID, key, v string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	seq := fmt.Sprintf("%021d", s.seq)
	keys := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: key}}
	r := types.Record{EventID: aws.String(seq), Dynamodb: &types.StreamRecord{
		SequenceNumber: aws.String(seq), Keys: keys, ApproximateCreationDateTime: aws.Time(time.Now()),
	}}
	if v == "" {
		r.EventName = types.OperationTypeRemove
		r.Dynamodb.OldImage = map[string]types.AttributeValue{"pk": keys["pk"]}
	} else {
		r.EventName = types.OperationTypeModify
		r.Dynamodb.NewImage = map[string]types.AttributeValue{"pk": keys["pk"], "v": &types.AttributeValueMemberS{Value: v}}
	}
	sh := s.find(shardID)
	sh.recs = append(sh.recs, r)
	return seq
}

// PutImages appends a record with the given event and images (keys: pk of the new image, else
// of the old one) and returns its sequence number.
func (s *Stream) PutImages(shardID string, event types.OperationType, newImg, oldImg map[string]types.AttributeValue) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	seq := fmt.Sprintf("%021d", s.seq)
	img := newImg
	if img == nil {
		img = oldImg
	}
	r := types.Record{EventID: aws.String(seq), EventName: event, Dynamodb: &types.StreamRecord{
		SequenceNumber: aws.String(seq), Keys: map[string]types.AttributeValue{"pk": img["pk"]},
		NewImage: newImg, OldImage: oldImg, ApproximateCreationDateTime: aws.Time(time.Now()),
	}}
	sh := s.find(shardID)
	sh.recs = append(sh.recs, r)
	return seq
}

// Expire invalidates every iterator handed out so far (ExpiredIteratorException).
func (s *Stream) Expire() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireGen++
}

// Trim makes records with sequence numbers below seq unreadable (TrimmedDataAccessException).
func (s *Stream) Trim(seq string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.trimBelow, _ = strconv.ParseInt(seq, 10, 64)
}

func (s *Stream) throttle() error {
	s.calls++
	if s.ThrottleEvery > 0 && s.calls%s.ThrottleEvery == 0 {
		s.Throttled++
		return &types.LimitExceededException{Message: aws.String("fake throttling")}
	}
	return nil
}

// ListStreams implements stream.API.
func (s *Stream) ListStreams(context.Context, *dynamodbstreams.ListStreamsInput, ...func(*dynamodbstreams.Options)) (*dynamodbstreams.ListStreamsOutput, error) {
	return &dynamodbstreams.ListStreamsOutput{Streams: []types.Stream{{StreamArn: aws.String(s.Arn)}}}, nil
}

// DescribeStream implements stream.API with paging.
func (s *Stream) DescribeStream(_ context.Context, in *dynamodbstreams.DescribeStreamInput, _ ...func(*dynamodbstreams.Options)) (*dynamodbstreams.DescribeStreamOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.throttle(); err != nil {
		return nil, err
	}
	per := s.PageShards
	if per <= 0 {
		per = 100
	}
	start := 0
	desc := &types.StreamDescription{StreamArn: aws.String(s.Arn), StreamStatus: types.StreamStatusEnabled}
	var listed []*shard
	for _, sh := range s.shards {
		if !sh.gone {
			listed = append(listed, sh)
		}
	}
	if in.ExclusiveStartShardId != nil {
		start = len(listed)
		for i, sh := range listed {
			if sh.id == *in.ExclusiveStartShardId {
				start = i + 1
			}
		}
	}
	end := min(start+per, len(listed))
	for _, sh := range listed[start:end] {
		d := types.Shard{ShardId: aws.String(sh.id), SequenceNumberRange: &types.SequenceNumberRange{StartingSequenceNumber: aws.String("1")}}
		if sh.parent != "" {
			d.ParentShardId = aws.String(sh.parent)
		}
		if sh.closed {
			d.SequenceNumberRange.EndingSequenceNumber = aws.String("9")
		}
		desc.Shards = append(desc.Shards, d)
	}
	if end < len(listed) {
		desc.LastEvaluatedShardId = aws.String(listed[end-1].id)
	}
	return &dynamodbstreams.DescribeStreamOutput{StreamDescription: desc}, nil
}

// GetShardIterator implements stream.API. Iterators are "shard|position|generation".
func (s *Stream) GetShardIterator(_ context.Context, in *dynamodbstreams.GetShardIteratorInput, _ ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetShardIteratorOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.throttle(); err != nil {
		return nil, err
	}
	sh := s.find(aws.ToString(in.ShardId))
	s.Log = append(s.Log, fmt.Sprintf("iter %s %s %s", sh.id, in.ShardIteratorType, aws.ToString(in.SequenceNumber)))
	if sh.gone || sh.unreadable {
		return nil, &types.ResourceNotFoundException{Message: aws.String("fake: shard " + sh.id + " aged out")}
	}
	pos := 0
	switch in.ShardIteratorType {
	case types.ShardIteratorTypeTrimHorizon:
	case types.ShardIteratorTypeLatest:
		pos = len(sh.recs)
	case types.ShardIteratorTypeAfterSequenceNumber, types.ShardIteratorTypeAtSequenceNumber:
		want := aws.ToString(in.SequenceNumber)
		pos = len(sh.recs)
		for i, r := range sh.recs {
			if *r.Dynamodb.SequenceNumber >= want {
				pos = i
				if in.ShardIteratorType == types.ShardIteratorTypeAfterSequenceNumber && *r.Dynamodb.SequenceNumber == want {
					pos = i + 1
				}
				break
			}
		}
	}
	return &dynamodbstreams.GetShardIteratorOutput{ShardIterator: aws.String(fmt.Sprintf("%s|%d|%d", sh.id, pos, s.expireGen))}, nil
}

// GetRecords implements stream.API, honouring Limit.
func (s *Stream) GetRecords(_ context.Context, in *dynamodbstreams.GetRecordsInput, _ ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetRecordsOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.throttle(); err != nil {
		return nil, err
	}
	parts := strings.Split(aws.ToString(in.ShardIterator), "|")
	sh := s.find(parts[0])
	pos, _ := strconv.Atoi(parts[1])
	gen, _ := strconv.Atoi(parts[2])
	s.GetRecordsCalls[sh.id]++
	s.Log = append(s.Log, "get "+sh.id)
	if sh.gone || sh.unreadable {
		return nil, &types.ResourceNotFoundException{Message: aws.String("fake: shard " + sh.id + " aged out")}
	}
	if gen != s.expireGen {
		return nil, &types.ExpiredIteratorException{Message: aws.String("fake: iterator expired")}
	}
	if pos < len(sh.recs) {
		if n, _ := strconv.ParseInt(*sh.recs[pos].Dynamodb.SequenceNumber, 10, 64); n < s.trimBelow {
			return nil, &types.TrimmedDataAccessException{Message: aws.String("fake: trimmed")}
		}
	}
	limit := int(aws.ToInt32(in.Limit))
	if limit <= 0 || limit > 1000 {
		return nil, fmt.Errorf("fakestream: limit %d out of 1..1000", limit)
	}
	end := min(pos+limit, len(sh.recs))
	out := &dynamodbstreams.GetRecordsOutput{Records: append([]types.Record(nil), sh.recs[pos:end]...)}
	if !(sh.closed && end == len(sh.recs)) {
		out.NextShardIterator = aws.String(fmt.Sprintf("%s|%d|%d", sh.id, end, gen))
	}
	return out, nil
}

// Calls returns a copy of the call log.
func (s *Stream) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.Log...)
}

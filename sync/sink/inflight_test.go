package sink_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	. "github.com/carve-dev/carve/sync/internal/synctest"
	"github.com/carve-dev/carve/sync/item"
	"github.com/carve-dev/carve/sync/sink"
	"github.com/carve-dev/carve/sync/stream"
)

// gatedDynamoDB holds every write call until want of them are in flight together, then lets
// all through; it records the most ever in flight.
type gatedDynamoDB struct {
	want int
	mu   sync.Mutex
	in   int
	max  int
	open chan struct{}
	once sync.Once
}

func (g *gatedDynamoDB) enter(ctx context.Context) error {
	g.mu.Lock()
	g.in++
	g.max = max(g.max, g.in)
	if g.in >= g.want {
		g.once.Do(func() { close(g.open) })
	}
	g.mu.Unlock()
	defer func() { g.mu.Lock(); g.in--; g.mu.Unlock() }()
	select {
	case <-g.open:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *gatedDynamoDB) DescribeTable(context.Context, *dynamodb.DescribeTableInput, ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error) {
	return &dynamodb.DescribeTableOutput{Table: &types.TableDescription{KeySchema: []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}}}}, nil
}

func (g *gatedDynamoDB) TransactWriteItems(ctx context.Context, _ *dynamodb.TransactWriteItemsInput, _ ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	return &dynamodb.TransactWriteItemsOutput{}, g.enter(ctx)
}

func (g *gatedDynamoDB) BatchGetItem(context.Context, *dynamodb.BatchGetItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	return &dynamodb.BatchGetItemOutput{}, nil
}

func (g *gatedDynamoDB) BatchWriteItem(ctx context.Context, _ *dynamodb.BatchWriteItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	return &dynamodb.BatchWriteItemOutput{}, g.enter(ctx)
}

// TestDynamoDBSinkItemsInFlight checks that both write modes keep write_concurrency × 100 items
// in flight: that many transactions of 100, or four times as many BatchWriteItem calls of 25.
func TestDynamoDBSinkItemsInFlight(t *testing.T) {
	const concurrency = 2
	for _, tc := range []struct {
		mode  sink.WriteMode
		calls int
	}{{sink.Transact, concurrency}, {sink.Batch, 4 * concurrency}} {
		t.Run(string(tc.mode), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			api := &gatedDynamoDB{want: tc.calls, open: make(chan struct{})}
			s, err := sink.OpenDynamoDBMode(ctx, api, "svc", tc.mode, nil, concurrency, stream.Backoff{})
			if err != nil {
				t.Fatal(err)
			}
			var ws []sink.Write
			for i := range 2 * concurrency * sink.TransactSize {
				ws = append(ws, sink.Write{Item: item.Item{"id": S(fmt.Sprint(i))}, Version: v(i + 1), Ref: fmt.Sprint("s/", i), Fresh: true})
			}
			res, err := s.Apply(ctx, ws)
			if err != nil {
				t.Fatalf("%v (at most %d calls were in flight, want %d)", err, api.max, tc.calls)
			}
			if res.Applied != len(ws) || api.max != tc.calls {
				t.Fatalf("applied %d of %d with at most %d calls in flight, want %d", res.Applied, len(ws), api.max, tc.calls)
			}
		})
	}
}

// Package synctest has the helpers sync's integration tests share: tables on DynamoDB Local,
// items, waiting for a condition, and running a job in the background.
package synctest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/carve-dev/carve/internal/testenv"
	"github.com/carve-dev/carve/sync/item"
)

// S and N build attribute values.
func S(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

// N builds a number attribute value.
func N(v any) types.AttributeValue { return &types.AttributeValueMemberN{Value: fmt.Sprint(v)} }

// CreateTable creates a table keyed by the string attribute key, with a NEW_AND_OLD_IMAGES stream
// when stream is true.
func CreateTable(t testing.TB, c *dynamodb.Client, name, key string, stream bool) {
	t.Helper()
	in := &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String(key), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String(key), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
	}
	if stream {
		in.StreamSpecification = &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewAndOldImages}
	}
	if _, err := c.CreateTable(context.Background(), in); err != nil {
		t.Fatalf("create table %s: %v", name, err)
	}
}

// Table is a table a test needs on DynamoDB Local.
type Table struct {
	Name, Key string
	// Stream gives it a NEW_AND_OLD_IMAGES stream.
	Stream bool
}

// Source is a source table: keyed by pk, with a stream.
func Source(name string) Table { return Table{Name: name, Key: "pk", Stream: true} }

// Target is a sink table keyed by key, without a stream.
func Target(name, key string) Table { return Table{Name: name, Key: key} }

// Tables starts DynamoDB Local for the test (stopped when it ends) with the tables created.
func Tables(t testing.TB, tables ...Table) *testenv.DynamoDBLocal {
	t.Helper()
	ddb := testenv.DynamoDB(t)
	for _, tb := range tables {
		CreateTable(t, ddb.Client, tb.Name, tb.Key, tb.Stream)
	}
	return ddb
}

// Put writes an item.
func Put(t testing.TB, c *dynamodb.Client, table string, it item.Item) {
	t.Helper()
	if _, err := c.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: it}); err != nil {
		t.Fatalf("put %s: %v", table, err)
	}
}

// Delete deletes an item.
func Delete(t testing.TB, c *dynamodb.Client, table string, key item.Item) {
	t.Helper()
	if _, err := c.DeleteItem(context.Background(), &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: key}); err != nil {
		t.Fatalf("delete %s: %v", table, err)
	}
}

// Get reads an item (consistent read); nil if absent.
func Get(t testing.TB, c *dynamodb.Client, table string, key item.Item) item.Item {
	t.Helper()
	out, err := c.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(table), Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatalf("get %s: %v", table, err)
	}
	return out.Item
}

// Scan reads a whole table.
func Scan(t testing.TB, c *dynamodb.Client, table string) []item.Item {
	t.Helper()
	var out []item.Item
	p := dynamodb.NewScanPaginator(c, &dynamodb.ScanInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("scan %s: %v", table, err)
		}
		out = append(out, page.Items...)
	}
	return out
}

// Eventually polls cond every 50ms until it returns "" or timeout passes, then fails with the
// last message.
func Eventually(t testing.TB, timeout time.Duration, cond func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		msg := cond()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", timeout, msg)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// EventTargets are what the event sinks' tests publish to on moto: a standard queue, a FIFO
// queue, and a FIFO topic with the FIFO queue TopicQueue subscribed (raw delivery).
type EventTargets struct {
	Queue, FIFOQueue, FIFOTopic, TopicQueue string
}

// CreateEventTargets creates the EventTargets on m.
func CreateEventTargets(t testing.TB, m *testenv.Moto) EventTargets {
	t.Helper()
	ctx := context.Background()
	var e EventTargets
	var err error
	if e.Queue, err = m.CreateQueue(ctx, "changes"); err != nil {
		t.Fatal(err)
	}
	if e.FIFOQueue, err = m.CreateQueue(ctx, "changes.fifo"); err != nil {
		t.Fatal(err)
	}
	if e.FIFOTopic, err = m.CreateTopic(ctx, "shop.fifo", "consumer.fifo"); err != nil {
		t.Fatal(err)
	}
	e.TopicQueue = m.QueueURL("consumer.fifo")
	return e
}

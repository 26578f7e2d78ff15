// Package deadletter keeps records that kept failing, with the error, so that the job can go on
// and an operator can replay or repair them: a JSON-lines file or a DynamoDB table.
package deadletter

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/carve-dev/carve/sync/item"
	"github.com/carve-dev/carve/sync/stream"
)

// Entry is one dead-lettered record. Keys and images are DynamoDB JSON ({"S": "x"}, {"B": …},
// {"SS": […]}): every type is kept, so that the record can be replayed (Replay).
type Entry struct {
	Pipeline string         `json:"pipeline"`
	Stream   string         `json:"stream"`
	Shard    string         `json:"shard"`
	Seq      string         `json:"sequence_number"`
	Event    string         `json:"event"`
	Keys     map[string]any `json:"keys"`
	New      map[string]any `json:"new_image,omitempty"`
	Old      map[string]any `json:"old_image,omitempty"`
	Error    string         `json:"error"`
	At       time.Time      `json:"at"`
	// ImagesOmitted says the images were left out: with them the entry would not fit in a
	// DynamoDB item (400 KB). Read the item from the source by its keys.
	ImagesOmitted bool `json:"images_omitted,omitempty"`
}

// NewEntry describes a failed record.
func NewEntry(pipeline, streamArn string, r stream.Record, err error) Entry {
	e := Entry{Pipeline: pipeline, Stream: streamArn, Shard: r.Shard, Seq: r.Seq, Event: string(r.Event),
		Keys: item.Typed(r.Keys), New: item.Typed(r.New), Old: item.Typed(r.Old), Error: err.Error(), At: time.Now().UTC()}
	return e
}

// Record rebuilds the stream record the entry was made from.
func (e Entry) Record() (stream.Record, error) {
	v, err := item.PadSeq(e.Seq)
	if err != nil {
		return stream.Record{}, err
	}
	r := stream.Record{Shard: e.Shard, Seq: e.Seq, Version: v, Event: stream.Event(e.Event)}
	if r.Keys, err = item.FromTyped(e.Keys); err != nil {
		return r, fmt.Errorf("keys: %w", err)
	}
	if r.New, err = item.FromTyped(e.New); err != nil {
		return r, fmt.Errorf("new image: %w", err)
	}
	if r.Old, err = item.FromTyped(e.Old); err != nil {
		return r, fmt.Errorf("old image: %w", err)
	}
	if e.ImagesOmitted {
		return r, errors.New("the images were left out (too big for the dead-letter table): re-apply the item by backfill")
	}
	return r, nil
}

// ID names an entry: pipeline|shard|sequence number.
func (e Entry) ID() string { return e.Pipeline + "|" + e.Shard + "|" + e.Seq }

// Store keeps dead letters.
type Store interface {
	Put(ctx context.Context, e Entry) error
	// Entries lists what the store holds, oldest first where the store keeps an order.
	Entries(ctx context.Context) ([]Entry, error)
	// Remove drops a replayed entry; a store that cannot (a file another process may be
	// appending to) returns false.
	Remove(ctx context.Context, e Entry) (bool, error)
	Close() error
}

// File appends one JSON line per entry and syncs it before returning.
type File struct {
	mu sync.Mutex
	f  *os.File
}

// OpenFile opens path for appending.
func OpenFile(path string) (*File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("dead-letter file: %w", err)
	}
	return &File{f: f}, nil
}

// Put implements Store.
func (f *File) Put(_ context.Context, e Entry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("dead-letter file %s: %w", f.f.Name(), err)
	}
	return f.f.Sync()
}

// Entries implements Store: the file's lines.
func (f *File) Entries(context.Context) ([]Entry, error) {
	b, err := os.ReadFile(f.f.Name())
	if err != nil {
		return nil, fmt.Errorf("dead-letter file: %w", err)
	}
	var out []Entry
	for i, line := range bytes.Split(b, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var e Entry
		if err := json.Unmarshal(line, &e); err != nil {
			return nil, fmt.Errorf("dead-letter file %s line %d: %w", f.f.Name(), i+1, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// Remove implements Store: a running worker appends to the file, so it is never rewritten.
func (f *File) Remove(context.Context, Entry) (bool, error) { return false, nil }

// Close implements Store.
func (f *File) Close() error { return f.f.Close() }

// DynamoDBAPI is the part of the DynamoDB client the table store uses.
type DynamoDBAPI interface {
	DescribeTable(context.Context, *dynamodb.DescribeTableInput, ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
	CreateTable(context.Context, *dynamodb.CreateTableInput, ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Scan(context.Context, *dynamodb.ScanInput, ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
}

// Table puts one item per entry, keyed id = pipeline|shard|sequence number.
type Table struct {
	api   DynamoDBAPI
	table string
}

// OpenTable opens the dead-letter table, creating it if missing.
func OpenTable(ctx context.Context, api DynamoDBAPI, table string) (*Table, error) {
	_, err := api.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	var nf *types.ResourceNotFoundException
	if errors.As(err, &nf) {
		_, err = api.CreateTable(ctx, &dynamodb.CreateTableInput{
			TableName:            aws.String(table),
			AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
			KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
			BillingMode:          types.BillingModePayPerRequest,
		})
		var inUse *types.ResourceInUseException
		if errors.As(err, &inUse) {
			err = nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("dead-letter table %s: %w", table, err)
	}
	return &Table{api: api, table: table}, nil
}

// maxRecord bounds the JSON of an entry in the table, well under DynamoDB's 400 KB item limit
// (the entry's other attributes repeat a few short fields and the error, cut to maxError).
const (
	maxRecord = 300 << 10
	maxError  = 8 << 10
)

// Put implements Store. An entry too big for an item keeps its keys and error, not its images:
// refusing it would stop the shard for good.
func (t *Table) Put(ctx context.Context, e Entry) error {
	if len(e.Error) > maxError {
		e.Error = e.Error[:maxError] + "…"
	}
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if len(b) > maxRecord {
		e.New, e.Old, e.ImagesOmitted = nil, nil, true
		if b, err = json.Marshal(e); err != nil {
			return err
		}
	}
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	_, err = t.api.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(t.table), Item: map[string]types.AttributeValue{
		"id": s(e.ID()), "pipeline": s(e.Pipeline), "shard": s(e.Shard),
		"sequence_number": s(e.Seq), "error": s(e.Error), "record": s(string(b)), "at": s(e.At.Format(time.RFC3339Nano)),
	}})
	if err != nil {
		return fmt.Errorf("dead-letter table %s: %w", t.table, err)
	}
	return nil
}

// Entries implements Store.
func (t *Table) Entries(ctx context.Context) ([]Entry, error) {
	var out []Entry
	p := dynamodb.NewScanPaginator(t.api, &dynamodb.ScanInput{TableName: aws.String(t.table), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("dead-letter table %s: %w", t.table, err)
		}
		for _, it := range page.Items {
			var e Entry
			if err := json.Unmarshal([]byte(item.Str(it, "record")), &e); err != nil {
				return nil, fmt.Errorf("dead-letter table %s item %s: %w", t.table, item.Str(it, "id"), err)
			}
			out = append(out, e)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].At.Before(out[b].At) })
	return out, nil
}

// Remove implements Store.
func (t *Table) Remove(ctx context.Context, e Entry) (bool, error) {
	_, err := t.api.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(t.table),
		Key: map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: e.ID()}}})
	if err != nil {
		return false, fmt.Errorf("dead-letter table %s: remove %s: %w", t.table, e.ID(), err)
	}
	return true, nil
}

// Close implements Store.
func (t *Table) Close() error { return nil }

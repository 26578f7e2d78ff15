package checkpoint

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// DynamoDBAPI is the part of the DynamoDB client the store uses.
type DynamoDBAPI interface {
	DescribeTable(context.Context, *dynamodb.DescribeTableInput, ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
	CreateTable(context.Context, *dynamodb.CreateTableInput, ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

// DynamoDB keeps leases in a table keyed (stream, shard), so one table serves many jobs.
type DynamoDB struct {
	api   DynamoDBAPI
	table string
	now   func() time.Time
}

// OpenDynamoDB opens the lease table, creating it (on-demand billing) if it does not exist.
func OpenDynamoDB(ctx context.Context, api DynamoDBAPI, table string) (*DynamoDB, error) {
	_, err := api.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	var nf *types.ResourceNotFoundException
	if errors.As(err, &nf) {
		_, err = api.CreateTable(ctx, &dynamodb.CreateTableInput{
			TableName: aws.String(table),
			AttributeDefinitions: []types.AttributeDefinition{
				{AttributeName: aws.String("stream"), AttributeType: types.ScalarAttributeTypeS},
				{AttributeName: aws.String("shard"), AttributeType: types.ScalarAttributeTypeS},
			},
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String("stream"), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String("shard"), KeyType: types.KeyTypeRange},
			},
			BillingMode: types.BillingModePayPerRequest,
		})
		var inUse *types.ResourceInUseException
		if errors.As(err, &inUse) {
			err = nil // another worker created it
		}
		if err == nil {
			err = waitActive(ctx, api, table)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("checkpoint table %s: %w", table, err)
	}
	return &DynamoDB{api: api, table: table, now: time.Now}, nil
}

func waitActive(ctx context.Context, api DynamoDBAPI, table string) error {
	for {
		out, err := api.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
		if err == nil && out.Table.TableStatus == types.TableStatusActive {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func n(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

func (d *DynamoDB) key(stream, shard string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"stream": s(stream), "shard": s(shard)}
}

func decode(it map[string]types.AttributeValue) Lease {
	str := func(k string) string {
		if v, ok := it[k].(*types.AttributeValueMemberS); ok {
			return v.Value
		}
		return ""
	}
	num := func(k string) int64 {
		if v, ok := it[k].(*types.AttributeValueMemberN); ok {
			x, _ := strconv.ParseInt(v.Value, 10, 64)
			return x
		}
		return 0
	}
	// A missing time (a row from an older carve, or never written) stays the zero time: unknown.
	at := func(k string) time.Time {
		if ms := num(k); ms > 0 {
			return time.UnixMilli(ms)
		}
		return time.Time{}
	}
	return Lease{Stream: str("stream"), Shard: str("shard"), Parent: str("parent"), Owner: str("owner"),
		Counter: num("counter"), Expiry: time.UnixMilli(num("expiry")), Checkpoint: str("checkpoint"), Hwm: str(hwmAttr), Handover: str("handover"),
		Mark: Mark{Applied: at(appliedAttr), CaughtUp: at(caughtUpAttr)}}
}

// appliedAttr and caughtUpAttr hold Lease.Mark, in Unix milliseconds.
const (
	appliedAttr  = "applied_at"
	caughtUpAttr = "caught_up_at"
)

// markSet returns the SET clauses and values writing m ("" when m is zero: the row keeps its
// mark).
func markSet(m Mark, vals map[string]types.AttributeValue) string {
	var set string
	if !m.Applied.IsZero() {
		set += ", " + appliedAttr + " = :applied"
		vals[":applied"] = n(m.Applied.UnixMilli())
	}
	if !m.CaughtUp.IsZero() {
		set += ", " + caughtUpAttr + " = :caughtup"
		vals[":caughtup"] = n(m.CaughtUp.UnixMilli())
	}
	return set
}

// Leases implements Store.
func (d *DynamoDB) Leases(ctx context.Context, stream string) ([]Lease, error) {
	var out []Lease
	var start map[string]types.AttributeValue
	for {
		page, err := d.api.Query(ctx, &dynamodb.QueryInput{
			TableName:                 aws.String(d.table),
			KeyConditionExpression:    aws.String("#s = :s"),
			ExpressionAttributeNames:  map[string]string{"#s": "stream"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":s": s(stream)},
			ConsistentRead:            aws.Bool(true),
			ExclusiveStartKey:         start,
		})
		if err != nil {
			return nil, fmt.Errorf("list leases of %s in %s: %w", stream, d.table, err)
		}
		for _, it := range page.Items {
			out = append(out, decode(it))
		}
		if start = page.LastEvaluatedKey; start == nil {
			return out, nil
		}
	}
}

func conditionFailed(err error) bool {
	var cf *types.ConditionalCheckFailedException
	return errors.As(err, &cf)
}

// Acquire implements Store.
func (d *DynamoDB) Acquire(ctx context.Context, stream, shard, parent, owner string, dur time.Duration) (Lease, bool, error) {
	now := d.now()
	out, err := d.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        aws.String(d.table),
		Key:              d.key(stream, shard),
		UpdateExpression: aws.String("SET #o = :me, expiry = :exp, parent = :p REMOVE handover ADD #c :one"),
		// Free, expired, or ours: never take a live lease from another worker.
		ConditionExpression:      aws.String("attribute_not_exists(#o) OR #o = :none OR #o = :me OR expiry < :now"),
		ExpressionAttributeNames: map[string]string{"#o": "owner", "#c": "counter"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":me": s(owner), ":none": s(""), ":exp": n(now.Add(dur).UnixMilli()), ":now": n(now.UnixMilli()),
			":one": n(1), ":p": s(parent),
		},
		ReturnValues: types.ReturnValueAllNew,
	})
	if conditionFailed(err) {
		return Lease{}, false, nil
	}
	if err != nil {
		return Lease{}, false, fmt.Errorf("acquire lease %s/%s: %w", stream, shard, err)
	}
	return decode(out.Attributes), true, nil
}

// RequestHandover implements Store.
func (d *DynamoDB) RequestHandover(ctx context.Context, l Lease, to string) (bool, error) {
	_, err := d.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(d.table),
		Key:                      d.key(l.Stream, l.Shard),
		UpdateExpression:         aws.String("SET handover = :to"),
		ConditionExpression:      aws.String("#o = :them AND #c = :seen"),
		ExpressionAttributeNames: map[string]string{"#o": "owner", "#c": "counter"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":to": s(to), ":them": s(l.Owner), ":seen": n(l.Counter),
		},
	})
	if conditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("request handover of lease %s/%s: %w", l.Stream, l.Shard, err)
	}
	return true, nil
}

// Forget implements Store.
func (d *DynamoDB) Forget(ctx context.Context, stream, shard string) error {
	_, err := d.api.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 aws.String(d.table),
		Key:                       d.key(stream, shard),
		ConditionExpression:       aws.String("checkpoint = :end"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":end": s(ShardEnd)},
	})
	if err != nil && !conditionFailed(err) {
		return fmt.Errorf("forget lease %s/%s: %w", stream, shard, err)
	}
	return nil
}

// Renew implements Store.
func (d *DynamoDB) Renew(ctx context.Context, l Lease, dur time.Duration) (Lease, error) {
	return d.update(ctx, l, "SET expiry = :exp ADD #c :one", map[string]types.AttributeValue{":exp": n(d.now().Add(dur).UnixMilli())})
}

// Checkpoint implements Store.
func (d *DynamoDB) Checkpoint(ctx context.Context, l Lease, seq string, m Mark) (Lease, error) {
	vals := map[string]types.AttributeValue{":cp": s(seq)}
	return d.update(ctx, l, "SET checkpoint = :cp"+markSet(m, vals)+" ADD #c :one", vals)
}

// SetMark implements Store.
func (d *DynamoDB) SetMark(ctx context.Context, l Lease, m Mark) (Lease, error) {
	vals := map[string]types.AttributeValue{}
	set := markSet(m, vals)
	if set == "" {
		return l, nil
	}
	return d.update(ctx, l, "SET "+set[2:], vals)
}

// Release implements Store.
func (d *DynamoDB) Release(ctx context.Context, l Lease) error {
	_, err := d.update(ctx, l, "SET #o = :none, expiry = :zero REMOVE handover ADD #c :one", map[string]types.AttributeValue{":none": s(""), ":zero": n(0)})
	return err
}

// update applies expr if l.Owner still owns the lease.
func (d *DynamoDB) update(ctx context.Context, l Lease, expr string, vals map[string]types.AttributeValue) (Lease, error) {
	vals[":me"] = s(l.Owner)
	names := map[string]string{"#o": "owner"}
	if strings.Contains(expr, "#c") {
		vals[":one"] = n(1)
		names["#c"] = "counter"
	}
	out, err := d.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(d.table),
		Key:                       d.key(l.Stream, l.Shard),
		UpdateExpression:          aws.String(expr),
		ConditionExpression:       aws.String("#o = :me"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: vals,
		ReturnValues:              types.ReturnValueAllNew,
	})
	if conditionFailed(err) {
		return l, fmt.Errorf("shard %s: %w", l.Shard, ErrLeaseLost)
	}
	if err != nil {
		return l, fmt.Errorf("lease %s/%s in %s: %w", l.Stream, l.Shard, d.table, err)
	}
	return decode(out.Attributes), nil
}

// hwmAttr is the lease attribute holding Lease.Hwm.
const hwmAttr = "applied_hwm"

// RaiseHwm implements Store: one conditional UpdateItem (owner still me, mark below seq) that
// returns the old row; when the mark is already at or above seq, a consistent read tells a lost
// lease from a mark raised by someone else (a backfill).
func (d *DynamoDB) RaiseHwm(ctx context.Context, l Lease, seq string) (string, Lease, error) {
	seq = PadSeq(seq)
	out, err := d.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(d.table),
		Key:                      d.key(l.Stream, l.Shard),
		UpdateExpression:         aws.String("SET #h = :h ADD #c :one"),
		ConditionExpression:      aws.String("#o = :me AND (attribute_not_exists(#h) OR #h < :h)"),
		ExpressionAttributeNames: map[string]string{"#o": "owner", "#c": "counter", "#h": hwmAttr},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":me": s(l.Owner), ":h": s(seq), ":one": n(1),
		},
		ReturnValues: types.ReturnValueAllOld,
	})
	if err == nil {
		old := decode(out.Attributes)
		nl := old
		nl.Hwm, nl.Counter = seq, old.Counter+1
		return old.Hwm, nl, nil
	}
	if !conditionFailed(err) {
		return "", l, fmt.Errorf("raise high-water mark %s/%s in %s: %w", l.Stream, l.Shard, d.table, err)
	}
	got, err := d.api.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(d.table), Key: d.key(l.Stream, l.Shard), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return "", l, fmt.Errorf("raise high-water mark %s/%s in %s: %w", l.Stream, l.Shard, d.table, err)
	}
	cur := decode(got.Item)
	if got.Item == nil || cur.Owner != l.Owner {
		return "", l, fmt.Errorf("shard %s: %w", l.Shard, ErrLeaseLost)
	}
	if cur.Hwm < seq {
		// Both conditions held when read: the row changed in between; try again.
		return d.RaiseHwm(ctx, l, seq)
	}
	return cur.Hwm, cur, nil
}

// RaiseHwmAny implements Store.
func (d *DynamoDB) RaiseHwmAny(ctx context.Context, stream, shard, seq string) error {
	_, err := d.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(d.table),
		Key:                       d.key(stream, shard),
		UpdateExpression:          aws.String("SET #h = :h ADD #c :one"),
		ConditionExpression:       aws.String("attribute_not_exists(#h) OR #h < :h"),
		ExpressionAttributeNames:  map[string]string{"#c": "counter", "#h": hwmAttr},
		ExpressionAttributeValues: map[string]types.AttributeValue{":h": s(PadSeq(seq)), ":one": n(1)},
	})
	if err != nil && !conditionFailed(err) {
		return fmt.Errorf("raise high-water mark %s/%s in %s: %w", stream, shard, d.table, err)
	}
	return nil
}

// Advance implements Store.
func (d *DynamoDB) Advance(ctx context.Context, stream, shard, seq string) error {
	for {
		out, err := d.api.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(d.table), Key: d.key(stream, shard), ConsistentRead: aws.Bool(true)})
		if err != nil {
			return fmt.Errorf("advance checkpoint %s/%s: %w", stream, shard, err)
		}
		cur := ""
		if out.Item != nil {
			cur = decode(out.Item).Checkpoint
		}
		if !Newer(seq, cur) {
			return nil
		}
		cond := "attribute_not_exists(checkpoint) OR checkpoint = :cur"
		vals := map[string]types.AttributeValue{":cp": s(seq), ":cur": s(cur), ":one": n(1)}
		_, err = d.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                 aws.String(d.table),
			Key:                       d.key(stream, shard),
			UpdateExpression:          aws.String("SET checkpoint = :cp ADD #c :one"),
			ConditionExpression:       aws.String(cond),
			ExpressionAttributeNames:  map[string]string{"#c": "counter"},
			ExpressionAttributeValues: vals,
		})
		if conditionFailed(err) {
			continue // a worker checkpointed meanwhile: compare again
		}
		if err != nil {
			return fmt.Errorf("advance checkpoint %s/%s: %w", stream, shard, err)
		}
		return nil
	}
}

// Close implements Store.
func (d *DynamoDB) Close() error { return nil }

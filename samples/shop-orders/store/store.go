// Package store keeps the service's orders in its own DynamoDB table, in the item shape the
// monolith used in its single table, so carve sync copies items both ways without mapping:
//
//	pk ORDER#<id>   sk META                                 the order
//	gsi1pk USER#<user>  gsi1sk ORDER#<created>#<id>         the user's orders, newest first
//
// Items that carve sync wrote carry its bookkeeping attributes (_carve_*); a tombstone
// (_carve_deleted = true) is an order deleted on the other side and reads as absent.
package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"example.com/shop-orders/orders"
)

// Key attributes and prefixes, as in the monolith's orders/store.
const (
	OrderPrefix = "ORDER#"
	UserPrefix  = "USER#"
	MetaSK      = "META"
	GSI1        = "gsi1"
	deleted     = "_carve_deleted"
)

// Record is an order as stored.
type Record struct {
	PK     string `dynamodbav:"pk"`
	SK     string `dynamodbav:"sk"`
	GSI1PK string `dynamodbav:"gsi1pk"`
	GSI1SK string `dynamodbav:"gsi1sk"`
	Entity string `dynamodbav:"entity"`
	orders.Order
	// Deleted is carve sync's tombstone flag.
	Deleted bool `dynamodbav:"_carve_deleted,omitempty"`
}

// RecordOf returns the stored form of o.
func RecordOf(o orders.Order) Record {
	return Record{
		PK: OrderPrefix + o.ID, SK: MetaSK,
		GSI1PK: UserPrefix + o.UserID,
		GSI1SK: OrderPrefix + o.CreatedAt.UTC().Format(time.RFC3339Nano) + "#" + o.ID,
		Entity: "order", Order: o,
	}
}

// Key returns the primary key of an order.
func Key(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: OrderPrefix + id},
		"sk": &types.AttributeValueMemberS{Value: MetaSK},
	}
}

// Repo is the DynamoDB orders repository.
type Repo struct {
	DB    *dynamodb.Client
	Table string
}

var _ orders.Repository = (*Repo)(nil)

// Create stores a new order. Unlike the monolith it does not bump the user's order_count: that
// item belongs to users (see README).
func (r *Repo) Create(ctx context.Context, o orders.Order) error {
	item, err := attributevalue.MarshalMap(RecordOf(o))
	if err != nil {
		return fmt.Errorf("orders store: encoding %s: %w", o.ID, err)
	}
	_, err = r.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(r.Table), Item: item, ConditionExpression: aws.String("attribute_not_exists(pk)"),
	})
	if isConditionFailed(err) {
		return fmt.Errorf("%w: %s", orders.ErrExists, o.ID)
	}
	if err != nil {
		return fmt.Errorf("orders store: create %s in %s: %w", o.ID, r.Table, err)
	}
	return nil
}

// Get returns the order with the given id.
func (r *Repo) Get(ctx context.Context, id string) (orders.Order, error) {
	out, err := r.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(r.Table), Key: Key(id), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return orders.Order{}, fmt.Errorf("orders store: get %s from %s: %w", id, r.Table, err)
	}
	if out.Item == nil {
		return orders.Order{}, fmt.Errorf("%w: %s", orders.ErrNotFound, id)
	}
	var rec Record
	if err := attributevalue.UnmarshalMap(out.Item, &rec); err != nil {
		return orders.Order{}, fmt.Errorf("orders store: decoding %s: %w", id, err)
	}
	if rec.Deleted {
		return orders.Order{}, fmt.Errorf("%w: %s", orders.ErrNotFound, id)
	}
	return rec.Order, nil
}

// ListByUser returns the user's newest orders through the gsi1 index.
func (r *Repo) ListByUser(ctx context.Context, userID string, limit int) ([]orders.Order, error) {
	out, err := r.DB.Query(ctx, &dynamodb.QueryInput{
		TableName:                aws.String(r.Table),
		IndexName:                aws.String(GSI1),
		KeyConditionExpression:   aws.String("gsi1pk = :u AND begins_with(gsi1sk, :o)"),
		FilterExpression:         aws.String("attribute_not_exists(#del) OR #del = :f"),
		ExpressionAttributeNames: map[string]string{"#del": deleted},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":u": &types.AttributeValueMemberS{Value: UserPrefix + userID},
			":o": &types.AttributeValueMemberS{Value: OrderPrefix},
			":f": &types.AttributeValueMemberBOOL{Value: false},
		},
		ScanIndexForward: aws.Bool(false),
		Limit:            aws.Int32(int32(limit)),
	})
	if err != nil {
		return nil, fmt.Errorf("orders store: query orders of user %s in %s: %w", userID, r.Table, err)
	}
	var recs []Record
	if err := attributevalue.UnmarshalListOfMaps(out.Items, &recs); err != nil {
		return nil, fmt.Errorf("orders store: decoding orders of %s: %w", userID, err)
	}
	list := make([]orders.Order, len(recs))
	for i, rec := range recs {
		list[i] = rec.Order
	}
	return list, nil
}

// Update replaces an order whose stored status is still expect. The put drops carve sync's
// bookkeeping attributes, which marks the item as the application's write.
func (r *Repo) Update(ctx context.Context, o orders.Order, expect orders.Status) error {
	item, err := attributevalue.MarshalMap(RecordOf(o))
	if err != nil {
		return fmt.Errorf("orders store: encoding %s: %w", o.ID, err)
	}
	_, err = r.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 aws.String(r.Table),
		Item:                      item,
		ConditionExpression:       aws.String("#s = :expect AND (attribute_not_exists(#del) OR #del = :f)"),
		ExpressionAttributeNames:  map[string]string{"#s": "status", "#del": deleted},
		ExpressionAttributeValues: map[string]types.AttributeValue{":expect": &types.AttributeValueMemberS{Value: string(expect)}, ":f": &types.AttributeValueMemberBOOL{Value: false}},
	})
	if isConditionFailed(err) {
		return fmt.Errorf("%w: %s is no longer %s", orders.ErrConflict, o.ID, expect)
	}
	if err != nil {
		return fmt.Errorf("orders store: update %s in %s: %w", o.ID, r.Table, err)
	}
	return nil
}

func isConditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

// CreateTable creates the orders table if it does not exist — pk/sk, index gsi1, on-demand,
// a stream with new and old images (carve sync reads it) — and waits until it is active.
func CreateTable(ctx context.Context, db *dynamodb.Client, table string) error {
	_, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err == nil {
		return nil
	}
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		return fmt.Errorf("orders store: describing table %s: %w", table, err)
	}
	s := func(n string) types.AttributeDefinition {
		return types.AttributeDefinition{AttributeName: aws.String(n), AttributeType: types.ScalarAttributeTypeS}
	}
	key := func(h, r string) []types.KeySchemaElement {
		return []types.KeySchemaElement{{AttributeName: aws.String(h), KeyType: types.KeyTypeHash}, {AttributeName: aws.String(r), KeyType: types.KeyTypeRange}}
	}
	_, err = db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		KeySchema:            key("pk", "sk"),
		AttributeDefinitions: []types.AttributeDefinition{s("pk"), s("sk"), s("gsi1pk"), s("gsi1sk")},
		BillingMode:          types.BillingModePayPerRequest,
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName: aws.String(GSI1), KeySchema: key("gsi1pk", "gsi1sk"),
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}},
		StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewAndOldImages},
	})
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("orders store: creating table %s: %w", table, err)
	}
	if err := dynamodb.NewTableExistsWaiter(db).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)}, 2*time.Minute); err != nil {
		return fmt.Errorf("orders store: waiting for table %s: %w", table, err)
	}
	return nil
}

// Package store keeps orders in the shared single table:
//
//	pk ORDER#<id>   sk META                                 the order
//	gsi1pk USER#<user>  gsi1sk ORDER#<created>#<id>         the user's orders, newest first
//
// Creating an order also bumps order_count and last_order_at on the user's PROFILE item
// (pk USER#<user>), which belongs to the users domain, in the same transaction.
package store

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"example.com/shop/models"
	"example.com/shop/orders"
	"example.com/shop/platform/dynamo"
)

// Key prefixes of the orders' items.
const (
	OrderPrefix = "ORDER#"
	UserPrefix  = "USER#"
	MetaSK      = "META"
)

// Key returns the primary key of an order.
func Key(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{dynamo.PK: dynamo.S(OrderPrefix + id), dynamo.SK: dynamo.S(MetaSK)}
}

// Record is an order as stored.
type Record struct {
	PK     string `dynamodbav:"pk"`
	SK     string `dynamodbav:"sk"`
	GSI1PK string `dynamodbav:"gsi1pk"`
	GSI1SK string `dynamodbav:"gsi1sk"`
	Entity string `dynamodbav:"entity"`
	models.Order
}

// RecordOf returns the stored form of o.
func RecordOf(o models.Order) Record {
	return Record{
		PK: OrderPrefix + o.ID, SK: MetaSK,
		GSI1PK: UserPrefix + o.UserID,
		GSI1SK: OrderPrefix + o.CreatedAt.UTC().Format(time.RFC3339Nano) + "#" + o.ID,
		Entity: "order", Order: o,
	}
}

// Repo is the DynamoDB orders repository.
type Repo struct {
	DB    *dynamodb.Client
	Table string
}

var _ orders.Repository = (*Repo)(nil)

// Create stores a new order and counts it on the user's profile.
func (r *Repo) Create(ctx context.Context, o models.Order) error {
	item, err := attributevalue.MarshalMap(RecordOf(o))
	if err != nil {
		return fmt.Errorf("orders store: encoding %s: %w", o.ID, err)
	}
	_, err = r.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(r.Table), Item: item, ConditionExpression: aws.String("attribute_not_exists(pk)")}},
		{Update: &types.Update{
			TableName:        aws.String(r.Table),
			Key:              map[string]types.AttributeValue{dynamo.PK: dynamo.S(UserPrefix + o.UserID), dynamo.SK: dynamo.S("PROFILE")},
			UpdateExpression: aws.String("ADD order_count :one SET last_order_at = :at"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":one": dynamo.N(1), ":at": dynamo.S(o.CreatedAt.UTC().Format(time.RFC3339Nano)),
			},
			ConditionExpression: aws.String("attribute_exists(pk)"),
		}},
	}})
	if dynamo.IsConditionFailed(err) {
		return fmt.Errorf("%w: %s (or user %s does not exist)", orders.ErrExists, o.ID, o.UserID)
	}
	if err != nil {
		return fmt.Errorf("orders store: create %s: %w", o.ID, err)
	}
	return nil
}

// Get returns the order with the given id.
func (r *Repo) Get(ctx context.Context, id string) (models.Order, error) {
	out, err := r.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(r.Table), Key: Key(id), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return models.Order{}, fmt.Errorf("orders store: get %s: %w", id, err)
	}
	if out.Item == nil {
		return models.Order{}, fmt.Errorf("%w: %s", orders.ErrNotFound, id)
	}
	var rec Record
	if err := attributevalue.UnmarshalMap(out.Item, &rec); err != nil {
		return models.Order{}, fmt.Errorf("orders store: decoding %s: %w", id, err)
	}
	return rec.Order, nil
}

// ListByUser returns the user's newest orders through the gsi1 index.
func (r *Repo) ListByUser(ctx context.Context, userID string, limit int) ([]models.Order, error) {
	out, err := r.DB.Query(ctx, &dynamodb.QueryInput{
		TableName:              aws.String(r.Table),
		IndexName:              aws.String(dynamo.GSI1),
		KeyConditionExpression: aws.String("gsi1pk = :u AND begins_with(gsi1sk, :o)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":u": dynamo.S(UserPrefix + userID), ":o": dynamo.S(OrderPrefix),
		},
		ScanIndexForward: aws.Bool(false),
		Limit:            aws.Int32(int32(limit)),
	})
	if err != nil {
		return nil, fmt.Errorf("orders store: query user %s: %w", userID, err)
	}
	var recs []Record
	if err := attributevalue.UnmarshalListOfMaps(out.Items, &recs); err != nil {
		return nil, fmt.Errorf("orders store: decoding orders of %s: %w", userID, err)
	}
	list := make([]models.Order, len(recs))
	for i, rec := range recs {
		list[i] = rec.Order
	}
	return list, nil
}

// Update replaces an order whose stored status is still expect.
func (r *Repo) Update(ctx context.Context, o models.Order, expect models.OrderStatus) error {
	item, err := attributevalue.MarshalMap(RecordOf(o))
	if err != nil {
		return fmt.Errorf("orders store: encoding %s: %w", o.ID, err)
	}
	_, err = r.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 aws.String(r.Table),
		Item:                      item,
		ConditionExpression:       aws.String("#s = :expect"),
		ExpressionAttributeNames:  map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":expect": dynamo.S(string(expect))},
	})
	if dynamo.IsConditionFailed(err) {
		return fmt.Errorf("%w: %s is no longer %s", orders.ErrConflict, o.ID, expect)
	}
	if err != nil {
		return fmt.Errorf("orders store: update %s: %w", o.ID, err)
	}
	return nil
}

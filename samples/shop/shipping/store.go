package shipping

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"example.com/shop/platform/dynamo"
)

// TableSpec is the shipments table's schema: one item per shipment, keyed by id.
func TableSpec(table string) dynamo.TableSpec { return dynamo.TableSpec{Name: table, HashKey: "id"} }

// Store is the DynamoDB Repository of shipments.
type Store struct {
	DB    *dynamodb.Client
	Table string
}

var _ Repository = (*Store)(nil)

// Create stores a new shipment.
func (s *Store) Create(ctx context.Context, sh Shipment) error {
	item, err := attributevalue.MarshalMap(sh)
	if err != nil {
		return fmt.Errorf("shipping store: encoding %s: %w", sh.ID, err)
	}
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.Table), Item: item,
		ConditionExpression: aws.String("attribute_not_exists(id)"),
	})
	if dynamo.IsConditionFailed(err) {
		return fmt.Errorf("%w: %s", ErrExists, sh.ID)
	}
	if err != nil {
		return fmt.Errorf("shipping store: put %s: %w", sh.ID, err)
	}
	return nil
}

// Get returns the shipment with the given id.
func (s *Store) Get(ctx context.Context, id string) (Shipment, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.Table),
		Key:       map[string]types.AttributeValue{"id": dynamo.S(id)},
	})
	if err != nil {
		return Shipment{}, fmt.Errorf("shipping store: get %s: %w", id, err)
	}
	if out.Item == nil {
		return Shipment{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	var sh Shipment
	if err := attributevalue.UnmarshalMap(out.Item, &sh); err != nil {
		return Shipment{}, fmt.Errorf("shipping store: decoding %s: %w", id, err)
	}
	return sh, nil
}

// Update replaces a shipment whose stored status is still expect.
func (s *Store) Update(ctx context.Context, sh Shipment, expect Status) error {
	item, err := attributevalue.MarshalMap(sh)
	if err != nil {
		return fmt.Errorf("shipping store: encoding %s: %w", sh.ID, err)
	}
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 aws.String(s.Table),
		Item:                      item,
		ConditionExpression:       aws.String("#s = :expect"),
		ExpressionAttributeNames:  map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":expect": dynamo.S(string(expect))},
	})
	if dynamo.IsConditionFailed(err) {
		return fmt.Errorf("%w: %s is no longer %s", ErrWrongStatus, sh.ID, expect)
	}
	if err != nil {
		return fmt.Errorf("shipping store: update %s: %w", sh.ID, err)
	}
	return nil
}

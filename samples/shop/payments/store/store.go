// Package store keeps payments in the payments table: one item per payment keyed by id, with a
// global secondary index by order.
package store

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"example.com/shop/payments"
	"example.com/shop/platform/dynamo"
)

// ByOrderIndex is the index of payments by order_id, sorted by created_at.
const ByOrderIndex = "by_order"

// Spec is the payments table's schema for -create-tables.
func Spec(table string) dynamo.TableSpec {
	return dynamo.TableSpec{Name: table, HashKey: "id",
		Indexes: []dynamo.Index{{Name: ByOrderIndex, HashKey: "order_id", RangeKey: "created_at"}}}
}

// Repo is the DynamoDB payments repository.
type Repo struct {
	DB    *dynamodb.Client
	Table string
}

var _ payments.Repository = (*Repo)(nil)

// Put stores a payment, replacing its previous version.
func (r *Repo) Put(ctx context.Context, p payments.Payment) error {
	item, err := attributevalue.MarshalMap(p)
	if err != nil {
		return fmt.Errorf("payments store: encoding %s: %w", p.ID, err)
	}
	if _, err := r.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(r.Table), Item: item}); err != nil {
		return fmt.Errorf("payments store: put %s: %w", p.ID, err)
	}
	return nil
}

// Get returns the payment with the given id.
func (r *Repo) Get(ctx context.Context, id string) (payments.Payment, error) {
	out, err := r.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(r.Table),
		Key:       map[string]types.AttributeValue{"id": dynamo.S(id)},
	})
	if err != nil {
		return payments.Payment{}, fmt.Errorf("payments store: get %s: %w", id, err)
	}
	if out.Item == nil {
		return payments.Payment{}, fmt.Errorf("%w: %s", payments.ErrNotFound, id)
	}
	var p payments.Payment
	if err := attributevalue.UnmarshalMap(out.Item, &p); err != nil {
		return payments.Payment{}, fmt.Errorf("payments store: decoding %s: %w", id, err)
	}
	return p, nil
}

// ByOrder returns the payments of an order, oldest first.
func (r *Repo) ByOrder(ctx context.Context, orderID string) ([]payments.Payment, error) {
	var out []payments.Payment
	p := dynamodb.NewQueryPaginator(r.DB, &dynamodb.QueryInput{
		TableName:                 aws.String(r.Table),
		IndexName:                 aws.String(ByOrderIndex),
		KeyConditionExpression:    aws.String("order_id = :o"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":o": dynamo.S(orderID)},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("payments store: query order %s: %w", orderID, err)
		}
		var batch []payments.Payment
		if err := attributevalue.UnmarshalListOfMaps(page.Items, &batch); err != nil {
			return nil, fmt.Errorf("payments store: decoding order %s: %w", orderID, err)
		}
		out = append(out, batch...)
	}
	return out, nil
}

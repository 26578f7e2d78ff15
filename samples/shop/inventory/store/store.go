// Package store keeps stock levels in the inventory table, one item per SKU. Besides the
// inventory service, the orders handler calls Decrement and Increment directly when it places
// or cancels an order.
package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"example.com/shop/inventory"
	"example.com/shop/platform/dynamo"
)

// DefaultTable is the inventory table's name when the config does not say otherwise.
const DefaultTable = "inventory"

// Spec is the table's schema for -create-tables.
func Spec(table string) dynamo.TableSpec { return dynamo.TableSpec{Name: table, HashKey: "sku"} }

// Repo is the DynamoDB inventory repository.
type Repo struct {
	DB    *dynamodb.Client
	Table string
}

var _ inventory.Repository = (*Repo)(nil)

// Get returns the level of sku, or inventory.ErrNotFound.
func (r *Repo) Get(ctx context.Context, sku string) (inventory.Level, error) {
	out, err := r.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(r.Table),
		Key:            map[string]types.AttributeValue{"sku": dynamo.S(sku)},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return inventory.Level{}, fmt.Errorf("inventory store: get %s: %w", sku, err)
	}
	if out.Item == nil {
		return inventory.Level{}, fmt.Errorf("%w: %s", inventory.ErrNotFound, sku)
	}
	var l inventory.Level
	if err := attributevalue.UnmarshalMap(out.Item, &l); err != nil {
		return inventory.Level{}, fmt.Errorf("inventory store: decoding %s: %w", sku, err)
	}
	return l, nil
}

// Put overwrites the level of l.SKU.
func (r *Repo) Put(ctx context.Context, l inventory.Level) error {
	item, err := attributevalue.MarshalMap(l)
	if err != nil {
		return fmt.Errorf("inventory store: encoding %s: %w", l.SKU, err)
	}
	if _, err := r.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(r.Table), Item: item}); err != nil {
		return fmt.Errorf("inventory store: put %s: %w", l.SKU, err)
	}
	return nil
}

// Adjust adds delta to the stock of sku atomically; the stock never goes below zero.
func (r *Repo) Adjust(ctx context.Context, sku string, delta int, at time.Time) (inventory.Level, error) {
	cond := "attribute_exists(sku)"
	values := map[string]types.AttributeValue{
		":d":  dynamo.N(int64(delta)),
		":at": dynamo.S(at.UTC().Format(time.RFC3339Nano)),
	}
	if delta < 0 {
		cond += " AND on_hand >= :need"
		values[":need"] = dynamo.N(int64(-delta))
	}
	out, err := r.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(r.Table),
		Key:                       map[string]types.AttributeValue{"sku": dynamo.S(sku)},
		UpdateExpression:          aws.String("ADD on_hand :d SET updated_at = :at"),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeValues: values,
		ReturnValues:              types.ReturnValueAllNew,
	})
	if dynamo.IsConditionFailed(err) {
		if delta < 0 {
			if _, getErr := r.Get(ctx, sku); getErr != nil {
				return inventory.Level{}, getErr
			}
			return inventory.Level{}, fmt.Errorf("%w: %s needs %d", inventory.ErrInsufficientStock, sku, -delta)
		}
		return inventory.Level{}, fmt.Errorf("%w: %s", inventory.ErrNotFound, sku)
	}
	if err != nil {
		return inventory.Level{}, fmt.Errorf("inventory store: adjust %s by %d: %w", sku, delta, err)
	}
	var l inventory.Level
	if err := attributevalue.UnmarshalMap(out.Attributes, &l); err != nil {
		return inventory.Level{}, fmt.Errorf("inventory store: decoding %s: %w", sku, err)
	}
	return l, nil
}

// Decrement takes qty units of sku out of stock.
func (r *Repo) Decrement(ctx context.Context, sku string, qty int) error {
	_, err := r.Adjust(ctx, sku, -qty, time.Now())
	return err
}

// Increment puts qty units of sku back into stock.
func (r *Repo) Increment(ctx context.Context, sku string, qty int) error {
	_, err := r.Adjust(ctx, sku, qty, time.Now())
	return err
}

// List scans every level.
func (r *Repo) List(ctx context.Context) ([]inventory.Level, error) {
	var levels []inventory.Level
	p := dynamodb.NewScanPaginator(r.DB, &dynamodb.ScanInput{TableName: aws.String(r.Table)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("inventory store: scan: %w", err)
		}
		var batch []inventory.Level
		if err := attributevalue.UnmarshalListOfMaps(page.Items, &batch); err != nil {
			return nil, fmt.Errorf("inventory store: decoding scan: %w", err)
		}
		levels = append(levels, batch...)
	}
	return levels, nil
}

// Available reports the on-hand count of each SKU, 0 for untracked ones. The catalog uses it to
// show "in stock".
func (r *Repo) Available(ctx context.Context, skus ...string) (map[string]int, error) {
	out := make(map[string]int, len(skus))
	if len(skus) == 0 {
		return out, nil
	}
	keys := make([]map[string]types.AttributeValue, 0, len(skus))
	for _, s := range skus {
		out[s] = 0
		keys = append(keys, map[string]types.AttributeValue{"sku": dynamo.S(s)})
	}
	for start := 0; start < len(keys); start += 100 {
		req := map[string]types.KeysAndAttributes{r.Table: {
			Keys:                 keys[start:min(start+100, len(keys))],
			ProjectionExpression: aws.String("sku, on_hand"),
		}}
		for len(req) > 0 {
			res, err := r.DB.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
			if err != nil {
				return nil, fmt.Errorf("inventory store: batch get: %w", err)
			}
			for _, item := range res.Responses[r.Table] {
				sku, _ := item["sku"].(*types.AttributeValueMemberS)
				n, _ := item["on_hand"].(*types.AttributeValueMemberN)
				if sku != nil && n != nil {
					v, _ := strconv.Atoi(n.Value)
					out[sku.Value] = v
				}
			}
			req = res.UnprocessedKeys
		}
	}
	return out, nil
}

// Seed writes many levels at once (demo data).
func (r *Repo) Seed(ctx context.Context, levels []inventory.Level) error {
	reqs := make([]types.WriteRequest, 0, len(levels))
	for _, l := range levels {
		item, err := attributevalue.MarshalMap(l)
		if err != nil {
			return fmt.Errorf("inventory store: encoding %s: %w", l.SKU, err)
		}
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
	}
	return dynamo.BatchWrite(ctx, r.DB, r.Table, reqs)
}

package cart

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"example.com/shop/models"
	"example.com/shop/platform/dynamo"
)

// Key prefixes of cart items in the shared table: pk CART#<user>, sk ITEM#<sku>.
const (
	CartPrefix = "CART#"
	ItemPrefix = "ITEM#"
)

type itemRecord struct {
	PK     string `dynamodbav:"pk"`
	SK     string `dynamodbav:"sk"`
	Entity string `dynamodbav:"entity"`
	models.CartItem
}

// Store is the DynamoDB Repository of carts, in the shared table.
type Store struct {
	DB    *dynamodb.Client
	Table string
}

var _ Repository = (*Store)(nil)

// Items returns the items in the user's cart.
func (s *Store) Items(ctx context.Context, userID string) ([]models.CartItem, error) {
	var items []models.CartItem
	p := dynamodb.NewQueryPaginator(s.DB, &dynamodb.QueryInput{
		TableName:              aws.String(s.Table),
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :item)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": dynamo.S(CartPrefix + userID), ":item": dynamo.S(ItemPrefix),
		},
		ConsistentRead: aws.Bool(true),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("cart store: query %s: %w", userID, err)
		}
		var recs []itemRecord
		if err := attributevalue.UnmarshalListOfMaps(page.Items, &recs); err != nil {
			return nil, fmt.Errorf("cart store: decoding %s: %w", userID, err)
		}
		for _, r := range recs {
			items = append(items, r.CartItem)
		}
	}
	return items, nil
}

// PutItem stores one item of the user's cart.
func (s *Store) PutItem(ctx context.Context, userID string, it models.CartItem) error {
	item, err := attributevalue.MarshalMap(itemRecord{PK: CartPrefix + userID, SK: ItemPrefix + it.SKU, Entity: "cart_item", CartItem: it})
	if err != nil {
		return fmt.Errorf("cart store: encoding %s: %w", it.SKU, err)
	}
	if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: item}); err != nil {
		return fmt.Errorf("cart store: put %s/%s: %w", userID, it.SKU, err)
	}
	return nil
}

// RemoveItem deletes one item of the user's cart.
func (s *Store) RemoveItem(ctx context.Context, userID, sku string) error {
	_, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:           aws.String(s.Table),
		Key:                 map[string]types.AttributeValue{"pk": dynamo.S(CartPrefix + userID), "sk": dynamo.S(ItemPrefix + sku)},
		ConditionExpression: aws.String("attribute_exists(pk)"),
	})
	if dynamo.IsConditionFailed(err) {
		return fmt.Errorf("%w: %s", ErrNotFound, sku)
	}
	if err != nil {
		return fmt.Errorf("cart store: delete %s/%s: %w", userID, sku, err)
	}
	return nil
}

// Clear deletes every item of the user's cart.
func (s *Store) Clear(ctx context.Context, userID string) error {
	items, err := s.Items(ctx, userID)
	if err != nil {
		return err
	}
	reqs := make([]types.WriteRequest, 0, len(items))
	for _, it := range items {
		reqs = append(reqs, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: map[string]types.AttributeValue{
			"pk": dynamo.S(CartPrefix + userID), "sk": dynamo.S(ItemPrefix + it.SKU),
		}}})
	}
	if err := dynamo.BatchWrite(ctx, s.DB, s.Table, reqs); err != nil {
		return fmt.Errorf("cart store: clearing %s: %w", userID, err)
	}
	return nil
}

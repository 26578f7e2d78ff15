// Package cart keeps carts in DynamoDB, with its table name from configuration.
package cart

import (
	"context"
	"net/http"

	"example.com/shop/orders"
	"example.com/shop/platform/store"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Config names the tables.
type Config struct{ CartTable string }

// LoadConfig returns the configuration.
func LoadConfig() Config {
	var cfg Config
	cfg.CartTable = "carts"
	return cfg
}

// Cart is the cart service.
type Cart struct {
	cfg Config
	c   *dynamodb.Client
}

// Items lists a user's cart.
func (c *Cart) Items(ctx context.Context, user string) error {
	_, err := c.c.Query(ctx, &dynamodb.QueryInput{
		TableName:                 &c.cfg.CartTable,
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "CART#" + user}},
	})
	return err
}

// Checkout turns the cart into an order.
func (c *Cart) Checkout(ctx context.Context, user string) error {
	o := orders.Order{ID: user}
	_, err := c.c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		TransactItems: []types.TransactWriteItem{
			{Put: &types.Put{TableName: aws.String(orders.TableOrders), Item: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: o.Key()}}}},
			{Delete: &types.Delete{TableName: aws.String(c.cfg.CartTable)}},
		},
	})
	return err
}

// Clear empties all carts.
func (c *Cart) Clear(ctx context.Context) error {
	_, err := c.c.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
		RequestItems: map[string][]types.WriteRequest{"carts": nil},
	})
	return err
}

// Peek reads one cart through the shared wrapper.
func Peek(ctx context.Context, id string) error { return store.Get(ctx, "carts", id) }

// ServeCart serves the cart.
func ServeCart(w http.ResponseWriter, r *http.Request) {}

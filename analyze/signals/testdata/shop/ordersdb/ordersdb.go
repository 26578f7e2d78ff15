// Package ordersdb stores orders in DynamoDB. It is the adapter of orders.Store.
package ordersdb

import (
	"context"

	"example.com/shop/orders"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Repo is the DynamoDB store of orders.
type Repo struct {
	client *dynamodb.Client
	table  string
}

// New returns a repo over table.
func New(c *dynamodb.Client, table string) *Repo { return &Repo{client: c, table: table} }

// Save writes an order.
func (r *Repo) Save(ctx context.Context, o orders.Order) error {
	_, err := r.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(r.table),
		Item:      map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "ORDER#" + o.ID}},
	})
	return err
}

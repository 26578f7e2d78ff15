// Package dynamodb is a stub of the shape of aws-sdk-go-v2's dynamodb client, for carve's tests.
package dynamodb

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

type Client struct{}

type GetItemInput struct {
	TableName *string
	Key       map[string]types.AttributeValue
}
type GetItemOutput struct{}
type PutItemInput struct {
	TableName *string
	Item      map[string]types.AttributeValue
}
type PutItemOutput struct{}
type QueryInput struct {
	TableName                 *string
	KeyConditionExpression    *string
	ExpressionAttributeValues map[string]types.AttributeValue
}
type QueryOutput struct{}
type ScanInput struct{ TableName *string }
type ScanOutput struct{}
type BatchGetItemInput struct {
	RequestItems map[string]types.KeysAndAttributes
}
type BatchGetItemOutput struct{}
type BatchWriteItemInput struct {
	RequestItems map[string][]types.WriteRequest
}
type BatchWriteItemOutput struct{}
type TransactWriteItemsInput struct {
	TransactItems []types.TransactWriteItem
}
type TransactWriteItemsOutput struct{}
type CreateTableInput struct{ TableName *string }
type CreateTableOutput struct{}

func (c *Client) GetItem(ctx context.Context, in *GetItemInput) (*GetItemOutput, error) {
	return nil, nil
}
func (c *Client) PutItem(ctx context.Context, in *PutItemInput) (*PutItemOutput, error) {
	return nil, nil
}
func (c *Client) Query(ctx context.Context, in *QueryInput) (*QueryOutput, error) { return nil, nil }
func (c *Client) Scan(ctx context.Context, in *ScanInput) (*ScanOutput, error)    { return nil, nil }
func (c *Client) BatchGetItem(ctx context.Context, in *BatchGetItemInput) (*BatchGetItemOutput, error) {
	return nil, nil
}
func (c *Client) BatchWriteItem(ctx context.Context, in *BatchWriteItemInput) (*BatchWriteItemOutput, error) {
	return nil, nil
}
func (c *Client) TransactWriteItems(ctx context.Context, in *TransactWriteItemsInput) (*TransactWriteItemsOutput, error) {
	return nil, nil
}
func (c *Client) CreateTable(ctx context.Context, in *CreateTableInput) (*CreateTableOutput, error) {
	return nil, nil
}

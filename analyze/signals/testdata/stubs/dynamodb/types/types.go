// Package types is a stub of aws-sdk-go-v2's dynamodb/types, for carve's tests.
package types

type AttributeValue interface{ isAttributeValue() }

type AttributeValueMemberS struct{ Value string }

func (*AttributeValueMemberS) isAttributeValue() {}

type KeysAndAttributes struct{ Keys []map[string]AttributeValue }
type PutRequest struct{ Item map[string]AttributeValue }
type DeleteRequest struct{ Key map[string]AttributeValue }
type WriteRequest struct {
	PutRequest    *PutRequest
	DeleteRequest *DeleteRequest
}
type Put struct {
	TableName *string
	Item      map[string]AttributeValue
}
type Delete struct {
	TableName *string
	Key       map[string]AttributeValue
}
type Update struct {
	TableName *string
	Key       map[string]AttributeValue
}
type TransactWriteItem struct {
	Put    *Put
	Delete *Delete
	Update *Update
}

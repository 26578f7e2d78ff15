package notifications

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"example.com/shop/platform/dynamo"
)

// TableName is the notification log's table. Unlike the other tables it was never made
// configurable: the notifications code predates the config package.
const TableName = "notifications"

// TableSpec is the log's schema: a user's messages under user_id, sorted by their
// time-ordered id.
func TableSpec() dynamo.TableSpec {
	return dynamo.TableSpec{Name: TableName, HashKey: "user_id", RangeKey: "id"}
}

// Store is the DynamoDB log of sent messages.
type Store struct {
	DB *dynamodb.Client
}

var _ Repository = (*Store)(nil)

// Put records a sent message.
func (s *Store) Put(ctx context.Context, m Message) error {
	item, err := attributevalue.MarshalMap(m)
	if err != nil {
		return fmt.Errorf("notifications store: encoding %s: %w", m.ID, err)
	}
	if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(TableName), Item: item}); err != nil {
		return fmt.Errorf("notifications store: put %s: %w", m.ID, err)
	}
	return nil
}

// ListByUser returns a user's newest messages.
func (s *Store) ListByUser(ctx context.Context, userID string, limit int) ([]Message, error) {
	out, err := s.DB.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(TableName),
		KeyConditionExpression:    aws.String("user_id = :u"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":u": dynamo.S(userID)},
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(int32(limit)),
	})
	if err != nil {
		return nil, fmt.Errorf("notifications store: query %s: %w", userID, err)
	}
	var msgs []Message
	if err := attributevalue.UnmarshalListOfMaps(out.Items, &msgs); err != nil {
		return nil, fmt.Errorf("notifications store: decoding %s: %w", userID, err)
	}
	return msgs, nil
}

package stream

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TableAPI is the DynamoDB call that finds a table's stream.
type TableAPI interface {
	DescribeTable(context.Context, *dynamodb.DescribeTableInput, ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
}

// Resolve returns the ARN of the table's current stream, checking that it carries new images.
func Resolve(ctx context.Context, api TableAPI, table string) (string, error) {
	out, err := api.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	var nf *types.ResourceNotFoundException
	if errors.As(err, &nf) {
		return "", fmt.Errorf("source table %s does not exist: check source.table, region and endpoint", table)
	}
	if err != nil {
		return "", fmt.Errorf("source table %s: %w", table, err)
	}
	t := out.Table
	spec := t.StreamSpecification
	if t.LatestStreamArn == nil || spec == nil || spec.StreamEnabled == nil || !*spec.StreamEnabled {
		return "", fmt.Errorf("source table %s has no stream: enable one with view type NEW_AND_OLD_IMAGES (aws dynamodb update-table --table-name %s --stream-specification StreamEnabled=true,StreamViewType=NEW_AND_OLD_IMAGES)", table, table)
	}
	if spec.StreamViewType != types.StreamViewTypeNewAndOldImages && spec.StreamViewType != types.StreamViewTypeNewImage {
		return "", fmt.Errorf("source table %s streams %s: sync needs the new image of every change: switch the stream to NEW_AND_OLD_IMAGES", table, spec.StreamViewType)
	}
	return aws.ToString(t.LatestStreamArn), nil
}

// TableKey returns the key attribute names of a table, partition key first.
func TableKey(ctx context.Context, api TableAPI, table string) ([]string, error) {
	out, err := api.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", table, err)
	}
	var key []string
	for _, k := range out.Table.KeySchema {
		if k.KeyType == types.KeyTypeHash {
			key = append([]string{aws.ToString(k.AttributeName)}, key...)
		} else {
			key = append(key, aws.ToString(k.AttributeName))
		}
	}
	return key, nil
}

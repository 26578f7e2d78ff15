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
	src, err := Describe(ctx, api, table)
	return src.Arn, err
}

// Source is what sync needs to know of a source table: its current stream, what the stream's
// records carry, and the table's key.
type Source struct {
	Arn string
	// ViewType is NEW_AND_OLD_IMAGES or NEW_IMAGE (Describe refuses the others).
	ViewType types.StreamViewType
	// Key lists the key attributes, partition key first.
	Key []string
}

// Describe reads the table's current stream, checking that it carries new images.
func Describe(ctx context.Context, api TableAPI, table string) (Source, error) {
	out, err := api.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	var nf *types.ResourceNotFoundException
	if errors.As(err, &nf) {
		return Source{}, fmt.Errorf("source table %s does not exist: check source.table, region and endpoint", table)
	}
	if err != nil {
		return Source{}, fmt.Errorf("source table %s: %w", table, err)
	}
	t := out.Table
	spec := t.StreamSpecification
	if t.LatestStreamArn == nil || spec == nil || spec.StreamEnabled == nil || !*spec.StreamEnabled {
		return Source{}, fmt.Errorf("source table %s has no stream: enable one with view type NEW_AND_OLD_IMAGES (aws dynamodb update-table --table-name %s --stream-specification StreamEnabled=true,StreamViewType=NEW_AND_OLD_IMAGES)", table, table)
	}
	if spec.StreamViewType != types.StreamViewTypeNewAndOldImages && spec.StreamViewType != types.StreamViewTypeNewImage {
		return Source{}, fmt.Errorf("source table %s streams %s: sync needs the new image of every change: switch the stream to NEW_AND_OLD_IMAGES", table, spec.StreamViewType)
	}
	return Source{Arn: aws.ToString(t.LatestStreamArn), ViewType: spec.StreamViewType, Key: KeyOf(t.KeySchema)}, nil
}

// TableKey returns the key attribute names of a table, partition key first.
func TableKey(ctx context.Context, api TableAPI, table string) ([]string, error) {
	out, err := api.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", table, err)
	}
	return KeyOf(out.Table.KeySchema), nil
}

// KeyOf lists a key schema's attributes, partition key first.
func KeyOf(schema []types.KeySchemaElement) []string {
	var key []string
	for _, k := range schema {
		if k.KeyType == types.KeyTypeHash {
			key = append([]string{aws.ToString(k.AttributeName)}, key...)
		} else {
			key = append(key, aws.ToString(k.AttributeName))
		}
	}
	return key
}

package dynamo

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestSingleTableSpec(t *testing.T) {
	in := SingleTable("shop").input()
	if aws.ToString(in.TableName) != "shop" || len(in.KeySchema) != 2 {
		t.Fatalf("input = %+v", in)
	}
	if in.StreamSpecification == nil || in.StreamSpecification.StreamViewType != types.StreamViewTypeNewAndOldImages {
		t.Errorf("streams not enabled with new and old images")
	}
	if len(in.GlobalSecondaryIndexes) != 1 || aws.ToString(in.GlobalSecondaryIndexes[0].IndexName) != GSI1 {
		t.Errorf("indexes = %+v", in.GlobalSecondaryIndexes)
	}
	if len(in.AttributeDefinitions) != 4 {
		t.Errorf("attribute definitions = %d, want 4 (pk, sk, gsi1pk, gsi1sk)", len(in.AttributeDefinitions))
	}
}

func TestIsConditionFailed(t *testing.T) {
	if !IsConditionFailed(fmt.Errorf("put: %w", &types.ConditionalCheckFailedException{})) {
		t.Error("wrapped ConditionalCheckFailedException not recognised")
	}
	tce := &types.TransactionCanceledException{CancellationReasons: []types.CancellationReason{
		{Code: aws.String("None")}, {Code: aws.String("ConditionalCheckFailed")}}}
	if !IsConditionFailed(tce) {
		t.Error("cancelled transaction with a failed condition not recognised")
	}
	if IsConditionFailed(fmt.Errorf("other")) {
		t.Error("plain error recognised")
	}
}

package job_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/carve-dev/carve/internal/testenv"
	. "github.com/carve-dev/carve/sync/internal/synctest"
	"github.com/carve-dev/carve/sync/job"
)

// TestNewImageStreamRefusesFiltersOnData: a NEW_IMAGE stream carries no old image, so a delete
// shows only the key and an update that takes an item out of the filter looks like an update of
// an item never selected. A pipeline filtering on anything but the key would drop both silently:
// the job refuses it at start, naming the pipeline, the attribute and the fix. A filter on the
// key alone (and a pipeline without a filter) runs.
func TestNewImageStreamRefusesFiltersOnData(t *testing.T) {
	ddb := testenv.DynamoDB(t)
	c := ddb.Client
	if _, err := c.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName:            aws.String("src"),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
		StreamSpecification:  &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewImage},
	}); err != nil {
		t.Fatal(err)
	}
	CreateTable(t, c, "dst", "pk", false)
	cfg := func(where string) string {
		return `
source: {table: src, endpoint: "{{endpoint}}"}
checkpoints: {file: "{{dir}}/cp.json"}
dead_letter: {file: "{{dir}}/dlq.jsonl"}
pipelines:
  - name: users
    ` + where + `
    sink: {dynamodb: {table: dst}}
`
	}
	_, err := job.New(context.Background(), parse(t, ddb.Endpoint, cfg(`where: {attribute_equals: {type: user}, key_prefix: {pk: "USER#"}}`)), job.Options{Logger: logger(t)})
	if err == nil {
		t.Fatal("a pipeline filtering on a data attribute started on a NEW_IMAGE stream")
	}
	for _, want := range []string{"pipeline users", "type", "NEW_AND_OLD_IMAGES"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "filters on pk") || strings.Contains(err.Error(), "filters on type, pk") {
		t.Errorf("error %q blames the key attribute, which every record carries", err)
	}
	for _, where := range []string{`where: {key_prefix: {pk: "USER#"}}`, `where: {}`} {
		j, err := job.New(context.Background(), parse(t, ddb.Endpoint, cfg(where)), job.Options{Logger: logger(t)})
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		j.Close()
	}
}

package dynamo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Key attribute names of the single-table design.
const (
	PK     = "pk"
	SK     = "sk"
	GSI1   = "gsi1"
	GSI1PK = "gsi1pk"
	GSI1SK = "gsi1sk"
)

// Index is a global secondary index of a TableSpec.
type Index struct {
	Name     string
	HashKey  string
	RangeKey string // optional
}

// TableSpec describes a table to create: string keys, on-demand billing, streams with new and
// old images (the migration tooling replicates through them).
type TableSpec struct {
	Name     string
	HashKey  string
	RangeKey string // optional
	Indexes  []Index
}

// SingleTable is the spec of the shared table: pk/sk plus one overloaded index gsi1.
func SingleTable(name string) TableSpec {
	return TableSpec{Name: name, HashKey: PK, RangeKey: SK,
		Indexes: []Index{{Name: GSI1, HashKey: GSI1PK, RangeKey: GSI1SK}}}
}

func (s TableSpec) input() *dynamodb.CreateTableInput {
	attrs := map[string]bool{}
	keys := func(hash, rng string) []types.KeySchemaElement {
		ks := []types.KeySchemaElement{{AttributeName: aws.String(hash), KeyType: types.KeyTypeHash}}
		attrs[hash] = true
		if rng != "" {
			ks = append(ks, types.KeySchemaElement{AttributeName: aws.String(rng), KeyType: types.KeyTypeRange})
			attrs[rng] = true
		}
		return ks
	}
	in := &dynamodb.CreateTableInput{
		TableName:   aws.String(s.Name),
		KeySchema:   keys(s.HashKey, s.RangeKey),
		BillingMode: types.BillingModePayPerRequest,
		StreamSpecification: &types.StreamSpecification{
			StreamEnabled:  aws.Bool(true),
			StreamViewType: types.StreamViewTypeNewAndOldImages,
		},
	}
	for _, ix := range s.Indexes {
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, types.GlobalSecondaryIndex{
			IndexName:  aws.String(ix.Name),
			KeySchema:  keys(ix.HashKey, ix.RangeKey),
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		})
	}
	for name := range attrs {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{
			AttributeName: aws.String(name), AttributeType: types.ScalarAttributeTypeS})
	}
	return in
}

// EnsureTables creates each table that does not exist yet and waits until all are active.
// Existing tables are left as they are.
func EnsureTables(ctx context.Context, db *dynamodb.Client, log *slog.Logger, specs ...TableSpec) error {
	var created []string
	for _, spec := range specs {
		_, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(spec.Name)})
		var notFound *types.ResourceNotFoundException
		switch {
		case err == nil:
			log.DebugContext(ctx, "table exists", "table", spec.Name)
			continue
		case !errors.As(err, &notFound):
			return fmt.Errorf("dynamo: describing table %s: %w", spec.Name, err)
		}
		if _, err := db.CreateTable(ctx, spec.input()); err != nil {
			var inUse *types.ResourceInUseException
			if errors.As(err, &inUse) {
				continue // created concurrently by another instance
			}
			return fmt.Errorf("dynamo: creating table %s: %w", spec.Name, err)
		}
		log.InfoContext(ctx, "created table", "table", spec.Name, "stream", "NEW_AND_OLD_IMAGES")
		created = append(created, spec.Name)
	}
	waiter := dynamodb.NewTableExistsWaiter(db)
	for _, name := range created {
		if err := waiter.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, 2*time.Minute); err != nil {
			return fmt.Errorf("dynamo: waiting for table %s: %w", name, err)
		}
	}
	return nil
}

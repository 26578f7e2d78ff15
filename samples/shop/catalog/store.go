package catalog

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"example.com/shop/models"
	"example.com/shop/platform/dynamo"
)

// TableSpec is the catalog table's schema: one item per product, keyed by sku.
func TableSpec(table string) dynamo.TableSpec { return dynamo.TableSpec{Name: table, HashKey: "sku"} }

// Store is the DynamoDB Repository of products.
type Store struct {
	DB    *dynamodb.Client
	Table string
}

var _ Repository = (*Store)(nil)

// Get returns the product with the given sku.
func (s *Store) Get(ctx context.Context, sku string) (models.Product, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.Table),
		Key:       map[string]types.AttributeValue{"sku": dynamo.S(sku)},
	})
	if err != nil {
		return models.Product{}, fmt.Errorf("catalog store: get %s: %w", sku, err)
	}
	if out.Item == nil {
		return models.Product{}, fmt.Errorf("%w: %s", ErrNotFound, sku)
	}
	var p models.Product
	if err := attributevalue.UnmarshalMap(out.Item, &p); err != nil {
		return models.Product{}, fmt.Errorf("catalog store: decoding %s: %w", sku, err)
	}
	return p, nil
}

// Create stores a product that must not exist yet.
func (s *Store) Create(ctx context.Context, p models.Product) error {
	return s.put(ctx, p, aws.String("attribute_not_exists(sku)"))
}

// Put stores a product, replacing any previous version.
func (s *Store) Put(ctx context.Context, p models.Product) error { return s.put(ctx, p, nil) }

func (s *Store) put(ctx context.Context, p models.Product, cond *string) error {
	item, err := attributevalue.MarshalMap(p)
	if err != nil {
		return fmt.Errorf("catalog store: encoding %s: %w", p.SKU, err)
	}
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: item, ConditionExpression: cond})
	if dynamo.IsConditionFailed(err) {
		return fmt.Errorf("%w: %s", ErrExists, p.SKU)
	}
	if err != nil {
		return fmt.Errorf("catalog store: put %s: %w", p.SKU, err)
	}
	return nil
}

// Delete removes the product with the given sku.
func (s *Store) Delete(ctx context.Context, sku string) error {
	_, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:           aws.String(s.Table),
		Key:                 map[string]types.AttributeValue{"sku": dynamo.S(sku)},
		ConditionExpression: aws.String("attribute_exists(sku)"),
	})
	if dynamo.IsConditionFailed(err) {
		return fmt.Errorf("%w: %s", ErrNotFound, sku)
	}
	if err != nil {
		return fmt.Errorf("catalog store: delete %s: %w", sku, err)
	}
	return nil
}

// List scans the whole catalog. The catalog is small enough for that.
func (s *Store) List(ctx context.Context) ([]models.Product, error) {
	var products []models.Product
	p := dynamodb.NewScanPaginator(s.DB, &dynamodb.ScanInput{TableName: aws.String(s.Table)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("catalog store: scan: %w", err)
		}
		var batch []models.Product
		if err := attributevalue.UnmarshalListOfMaps(page.Items, &batch); err != nil {
			return nil, fmt.Errorf("catalog store: decoding scan: %w", err)
		}
		products = append(products, batch...)
	}
	return products, nil
}

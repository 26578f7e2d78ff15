// Package store keeps route weights where a fleet of proxy replicas shares them: one
// DynamoDB table (one item per route) or an etcd key prefix (one key per route), written with
// a version condition.
package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/carve-dev/carve/internal/awsclient"
	"github.com/carve-dev/carve/strangler"
	"github.com/carve-dev/carve/strangler/config"
)

// API is the part of the DynamoDB client the store uses.
type API interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	Scan(ctx context.Context, in *dynamodb.ScanInput, opts ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
}

// DynamoDB is a strangler.WeightStore in a DynamoDB table whose partition key is the string
// attribute "route". Items: route (S), weights (M of N), version (N), updated_at (S).
type DynamoDB struct {
	api   API
	table string
}

var _ strangler.WeightStore = (*DynamoDB)(nil)

// New returns a store over table through api.
func New(api API, table string) *DynamoDB { return &DynamoDB{api: api, table: table} }

// NewDynamoDB builds a client with c's region and endpoint by internal/awsclient's rule (a
// loopback endpoint, DynamoDB Local, needs no region or credentials) and returns the store.
func NewDynamoDB(ctx context.Context, c config.DynamoDB) (*DynamoDB, error) {
	client, err := awsclient.DynamoDB(ctx, awsclient.Target{Region: c.Region, Endpoint: c.Endpoint, RegionKey: "store.dynamodb.region"})
	if err != nil {
		return nil, fmt.Errorf("weights table %s: %w", c.Table, err)
	}
	return New(client, c.Table), nil
}

// Load reads every route's weights (a Scan with paging; the table holds one item per route).
func (d *DynamoDB) Load(ctx context.Context) (map[string]strangler.StoredWeights, error) {
	out := map[string]strangler.StoredWeights{}
	in := &dynamodb.ScanInput{TableName: aws.String(d.table), ConsistentRead: aws.Bool(true)}
	for page := 0; page < 1000; page++ {
		res, err := d.api.Scan(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("read weights from DynamoDB table %s: %w", d.table, err)
		}
		for _, item := range res.Items {
			if r, ok := item["route"].(*types.AttributeValueMemberS); ok && strings.HasPrefix(r.Value, leasePrefix) {
				continue
			}
			name, sw, err := decode(item)
			if err != nil {
				return nil, fmt.Errorf("weights table %s: %w", d.table, err)
			}
			out[name] = sw
		}
		if len(res.LastEvaluatedKey) == 0 {
			return out, nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
	return nil, fmt.Errorf("read weights from DynamoDB table %s: more than 1000 pages", d.table)
}

func decode(item map[string]types.AttributeValue) (string, strangler.StoredWeights, error) {
	var sw strangler.StoredWeights
	r, ok := item["route"].(*types.AttributeValueMemberS)
	if !ok {
		return "", sw, errors.New("item without a string route attribute")
	}
	v, ok := item["version"].(*types.AttributeValueMemberN)
	if !ok {
		return "", sw, fmt.Errorf("route %s: no numeric version", r.Value)
	}
	ver, err := strconv.ParseInt(v.Value, 10, 64)
	if err != nil {
		return "", sw, fmt.Errorf("route %s: bad version %q", r.Value, v.Value)
	}
	m, ok := item["weights"].(*types.AttributeValueMemberM)
	if !ok {
		return "", sw, fmt.Errorf("route %s: no weights map", r.Value)
	}
	sw.Version, sw.Weights = ver, map[string]int{}
	for k, av := range m.Value {
		n, ok := av.(*types.AttributeValueMemberN)
		if !ok {
			return "", sw, fmt.Errorf("route %s: weight of %s is not a number", r.Value, k)
		}
		w, err := strconv.Atoi(n.Value)
		if err != nil {
			return "", sw, fmt.Errorf("route %s: bad weight %q for %s", r.Value, n.Value, k)
		}
		sw.Weights[k] = w
	}
	return r.Value, sw, nil
}

// Put writes route's weights if the stored version is still prev (0: no item yet) and
// returns the new version, or an error wrapping strangler.ErrVersionConflict.
func (d *DynamoDB) Put(ctx context.Context, route string, weights map[string]int, prev int64) (int64, error) {
	ws := make(map[string]types.AttributeValue, len(weights))
	for k, v := range weights {
		ws[k] = &types.AttributeValueMemberN{Value: strconv.Itoa(v)}
	}
	next := prev + 1
	in := &dynamodb.PutItemInput{
		TableName: aws.String(d.table),
		Item: map[string]types.AttributeValue{
			"route":      &types.AttributeValueMemberS{Value: route},
			"weights":    &types.AttributeValueMemberM{Value: ws},
			"version":    &types.AttributeValueMemberN{Value: strconv.FormatInt(next, 10)},
			"updated_at": &types.AttributeValueMemberS{Value: time.Now().UTC().Format(time.RFC3339Nano)},
		},
		ExpressionAttributeNames: map[string]string{"#r": "route"},
	}
	if prev == 0 {
		in.ConditionExpression = aws.String("attribute_not_exists(#r)")
	} else {
		in.ConditionExpression = aws.String("#v = :prev")
		in.ExpressionAttributeNames["#v"] = "version"
		delete(in.ExpressionAttributeNames, "#r")
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":prev": &types.AttributeValueMemberN{Value: strconv.FormatInt(prev, 10)}}
	}
	if _, err := d.api.PutItem(ctx, in); err != nil {
		var ccf *types.ConditionalCheckFailedException
		if errors.As(err, &ccf) {
			return 0, fmt.Errorf("route %s at version %d: %w", route, prev, strangler.ErrVersionConflict)
		}
		return 0, fmt.Errorf("write weights of route %s to DynamoDB table %s: %w", route, d.table, err)
	}
	return next, nil
}

// CreateTable creates the weights table (on-demand billing) and waits until it is active.
// Operators usually create it with their infrastructure code; tests and demos use this.
func CreateTable(ctx context.Context, client *dynamodb.Client, table string) error {
	_, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("route"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("route"), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
	})
	if err != nil {
		return fmt.Errorf("create weights table %s: %w", table, err)
	}
	w := dynamodb.NewTableExistsWaiter(client)
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)}, time.Minute); err != nil {
		return fmt.Errorf("wait for weights table %s: %w", table, err)
	}
	return nil
}

package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Leases let one replica of a fleet do a job the others must not do at the same time (step
// an automatic rollout). A lease is a record with a holder and an expiry, written only when
// nobody holds it, its holder let it expire, or the writer already holds it. Expiry times are
// the writers' clocks: keep the fleet's clocks in sync well within the lease's length.

// leasePrefix marks lease items in the DynamoDB weights table, whose Load skips them.
const leasePrefix = "#lease/"

// Lease takes or renews the lease name for holder until ttl from now.
func (d *DynamoDB) Lease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	now := time.Now()
	in := &dynamodb.PutItemInput{
		TableName: aws.String(d.table),
		Item: map[string]types.AttributeValue{
			"route":   &types.AttributeValueMemberS{Value: leasePrefix + name},
			"holder":  &types.AttributeValueMemberS{Value: holder},
			"expires": &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Add(ttl).UnixMilli(), 10)},
		},
		ConditionExpression:      aws.String("attribute_not_exists(#r) OR #e < :now OR #h = :me"),
		ExpressionAttributeNames: map[string]string{"#r": "route", "#e": "expires", "#h": "holder"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now": &types.AttributeValueMemberN{Value: strconv.FormatInt(now.UnixMilli(), 10)},
			":me":  &types.AttributeValueMemberS{Value: holder},
		},
	}
	if _, err := d.api.PutItem(ctx, in); err != nil {
		var ccf *types.ConditionalCheckFailedException
		if errors.As(err, &ccf) {
			return false, nil
		}
		return false, fmt.Errorf("take lease %s in DynamoDB table %s: %w", name, d.table, err)
	}
	return true, nil
}

// etcdLease is what a lease key holds.
type etcdLease struct {
	Holder  string `json:"holder"`
	Expires int64  `json:"expires_unix_ms"`
}

// leaseKey is a lease's key, beside the weights prefix rather than under it (Load and Watch
// read only weights): "<key>.leases/<name>".
func (e *Etcd) leaseKey(name string) string {
	return strings.TrimSuffix(e.prefix, "/") + ".leases/" + name
}

// Lease takes or renews the lease name for holder until ttl from now: a transaction
// conditional on the key being absent, or unchanged since it was read expired or ours.
func (e *Etcd) Lease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	key := e.leaseKey(name)
	now := time.Now()
	val, _ := json.Marshal(etcdLease{Holder: holder, Expires: now.Add(ttl).UnixMilli()})
	resp, err := e.c.Get(ctx, key)
	if err != nil {
		return false, fmt.Errorf("read lease %s from etcd: %w", key, err)
	}
	cond := clientv3.Compare(clientv3.CreateRevision(key), "=", 0)
	if len(resp.Kvs) > 0 {
		kv := resp.Kvs[0]
		var cur etcdLease
		if json.Unmarshal(kv.Value, &cur) == nil && cur.Holder != holder && cur.Expires >= now.UnixMilli() {
			return false, nil
		}
		cond = clientv3.Compare(clientv3.ModRevision(key), "=", kv.ModRevision)
	}
	tr, err := e.c.Txn(ctx).If(cond).Then(clientv3.OpPut(key, string(val))).Commit()
	if err != nil {
		return false, fmt.Errorf("take lease %s in etcd: %w", key, err)
	}
	return tr.Succeeded, nil
}

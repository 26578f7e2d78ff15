package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/carve-dev/carve/strangler"
	"github.com/carve-dev/carve/strangler/config"
)

// Etcd is a strangler.WeightStore under a key prefix of an etcd cluster: one key per route,
// "<prefix>/<route>", holding {"weights": {...}, "updated_at": "..."}. A route's version is
// the key's etcd version (1 on creation, +1 on every write), and a write is a transaction
// conditional on it, so it has the DynamoDB store's semantics. Replicas watch the prefix and
// apply a change as soon as etcd reports it (Watch), polling besides.
type Etcd struct {
	c      *clientv3.Client
	prefix string // with its trailing '/'
}

var _ strangler.WeightStore = (*Etcd)(nil)

// etcdValue is what a route's key holds.
type etcdValue struct {
	Weights   map[string]int `json:"weights"`
	UpdatedAt string         `json:"updated_at"`
}

// NewEtcd connects to the cluster c names (lazily: an unreachable cluster is an error of the
// first read or write, and the client keeps reconnecting). Close releases it.
func NewEtcd(c config.EtcdStore) (*Etcd, error) {
	cl, err := clientv3.New(clientv3.Config{Endpoints: c.Endpoints, DialTimeout: c.DialTimeout.D(), Logger: zap.NewNop(),
		DialKeepAliveTime: 10 * time.Second, DialKeepAliveTimeout: 3 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("etcd weight store %v: %w", c.Endpoints, err)
	}
	return &Etcd{c: cl, prefix: strings.TrimSuffix(c.Key, "/") + "/"}, nil
}

// Close closes the client.
func (e *Etcd) Close() error { return e.c.Close() }

// Load reads every route's weights.
func (e *Etcd) Load(ctx context.Context) (map[string]strangler.StoredWeights, error) {
	resp, err := e.c.Get(ctx, e.prefix, clientv3.WithPrefix())
	if err != nil {
		return nil, fmt.Errorf("read weights from etcd under %s: %w", e.prefix, err)
	}
	out := make(map[string]strangler.StoredWeights, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		route := strings.TrimPrefix(string(kv.Key), e.prefix)
		var v etcdValue
		if err := json.Unmarshal(kv.Value, &v); err != nil || v.Weights == nil {
			return nil, fmt.Errorf("etcd key %s: not a weights record ({\"weights\": {...}}): write it with carve proxy weights", kv.Key)
		}
		out[route] = strangler.StoredWeights{Weights: v.Weights, Version: kv.Version}
	}
	return out, nil
}

// Put writes route's weights if the key's version is still prev (0: no key yet) and returns
// the new version, or an error wrapping strangler.ErrVersionConflict.
func (e *Etcd) Put(ctx context.Context, route string, weights map[string]int, prev int64) (int64, error) {
	key := e.prefix + route
	b, err := json.Marshal(etcdValue{Weights: weights, UpdatedAt: time.Now().UTC().Format(time.RFC3339Nano)})
	if err != nil {
		return 0, err
	}
	resp, err := e.c.Txn(ctx).If(clientv3.Compare(clientv3.Version(key), "=", prev)).
		Then(clientv3.OpPut(key, string(b))).Else(clientv3.OpGet(key)).Commit()
	if err != nil {
		return 0, fmt.Errorf("write weights of route %s to etcd key %s: %w", route, key, err)
	}
	if !resp.Succeeded {
		return 0, fmt.Errorf("route %s at version %d: %w", route, prev, strangler.ErrVersionConflict)
	}
	return prev + 1, nil
}

// Watch calls changed on every change under the prefix until ctx is done. A watch that
// fails or loses the cluster's leader (etcd restarted) is opened again after a second, and
// changed is called then too, as changes may have been missed meanwhile.
func (e *Etcd) Watch(ctx context.Context, changed func()) {
	for ctx.Err() == nil {
		wch := e.c.Watch(clientv3.WithRequireLeader(ctx), e.prefix, clientv3.WithPrefix())
		for wr := range wch {
			if wr.Err() != nil {
				break
			}
			changed()
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
			changed()
		}
	}
}

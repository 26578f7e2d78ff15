package upstream

import (
	"context"
	"net/url"
	"slices"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/carve-dev/carve/strangler/config"
)

// Targets from etcd: every key under the upstream's prefix holds one target URL (a service
// instance registers itself by writing its key, ideally with a lease, and deregisters by
// deleting it). The pool watches the prefix and replaces its target set on every change;
// targets it already knew keep their health state, and health checks apply as to static
// targets. While etcd is unreachable the last known set stays.

// etcdRetry is the wait before watching again after a watch ended with an error.
const etcdRetry = time.Second

// startEtcd connects to etcd and reads the prefix once, so the pool serves from the start;
// until it has, it keeps the targets of prev when prev read the same prefix.
func (p *Pool) startEtcd(name string, prev *Pool) {
	e := p.cfg.Etcd
	empty := []*Target{}
	p.targets.Store(&empty)
	if prev != nil && prev.cfg.Etcd != nil && prev.cfg.Etcd.Prefix == e.Prefix && slices.Equal(prev.cfg.Etcd.Endpoints, e.Endpoints) {
		var urls []*url.URL
		for _, t := range prev.Targets() {
			urls = append(urls, t.URL)
		}
		p.setTargets(urls)
	}
	c, err := clientv3.New(clientv3.Config{Endpoints: e.Endpoints, DialTimeout: e.DialTimeout.D(), Logger: zap.NewNop(),
		DialKeepAliveTime: 10 * time.Second, DialKeepAliveTimeout: 3 * time.Second})
	if err != nil {
		p.log.Warn("connecting to etcd failed; the upstream has no targets", "upstream", name, "err", err)
		return
	}
	p.etcd = c
	ctx, cancel := context.WithTimeout(context.Background(), e.DialTimeout.D())
	defer cancel()
	if _, err := p.LoadEtcd(ctx); err != nil {
		p.log.Warn("reading upstream targets from etcd failed; retrying", "upstream", name, "prefix", e.Prefix, "err", err)
	}
}

// LoadEtcd reads the prefix and replaces the target set; it returns the revision read. On
// error the previous set stays.
func (p *Pool) LoadEtcd(ctx context.Context) (int64, error) {
	resp, err := p.etcd.Get(ctx, p.cfg.Etcd.Prefix, clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByKey, clientv3.SortAscend))
	if err != nil {
		return 0, err
	}
	var urls []*url.URL
	for _, kv := range resp.Kvs {
		u, err := config.ParseTarget(string(kv.Value))
		if err != nil {
			p.log.Warn("etcd key does not hold a target URL; skipped", "upstream", p.Name, "key", string(kv.Key), "err", err)
			continue
		}
		urls = append(urls, u)
	}
	if !p.sameURLs(urls) {
		p.setTargets(urls)
		p.log.Info("upstream targets read from etcd", "upstream", p.Name, "targets", len(urls), "revision", resp.Header.Revision)
	}
	return resp.Header.Revision, nil
}

// runEtcd follows the prefix until ctx is done, then closes the client.
func (p *Pool) runEtcd(ctx context.Context) {
	defer p.etcd.Close()
	prefix := p.cfg.Etcd.Prefix
	for {
		rev, err := p.LoadEtcd(ctx)
		if err == nil {
			// A watch that requires a leader ends when the cluster loses it (etcd restarted):
			// then the prefix is read again and watched anew.
			wch := p.etcd.Watch(clientv3.WithRequireLeader(ctx), prefix, clientv3.WithPrefix(), clientv3.WithRev(rev+1))
			for wr := range wch {
				if err = wr.Err(); err != nil {
					break
				}
				if _, err = p.LoadEtcd(ctx); err != nil {
					break
				}
			}
		}
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			p.log.Warn("following upstream targets in etcd failed; keeping the current ones", "upstream", p.Name, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(etcdRetry):
		}
	}
}

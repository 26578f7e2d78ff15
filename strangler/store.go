package strangler

import (
	"context"
	"errors"
	"sync"
	"time"
)

// WeightStore is where a fleet of proxies shares route weights. Each route's weights carry a
// version that grows by one with every write; writes are conditional on the version the
// writer last saw, so two operators cannot silently overwrite each other.
type WeightStore interface {
	// Load returns the weights of every route the store holds.
	Load(ctx context.Context) (map[string]StoredWeights, error)
	// Put writes route's weights if the stored version is still prev (0: not stored yet) and
	// returns the new version; ErrVersionConflict when someone else wrote first.
	Put(ctx context.Context, route string, weights map[string]int, prev int64) (int64, error)
	// Lease takes or renews the lease name for holder until ttl from now, with a conditional
	// write that succeeds when no one holds it, its holder let it expire, or holder holds it;
	// false (no error) when another holder has it. Automatic rollouts step on one replica.
	Lease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
}

// WeightWatcher is a WeightStore that reports changes as they happen (etcd), so replicas
// converge without waiting for their next poll.
type WeightWatcher interface {
	// Watch calls changed whenever weights may have changed, until ctx is done.
	Watch(ctx context.Context, changed func())
}

// StoredWeights are one route's weights in the store.
type StoredWeights struct {
	Weights map[string]int
	Version int64
}

// ErrVersionConflict says a conditional write lost against another replica's write.
var ErrVersionConflict = errors.New("weights were changed by another replica since this one read them; read them again and retry")

// SyncStore applies the store's weights once: every route whose stored version is newer than
// the one applied here takes the stored weights. Invalid stored weights (an upstream this
// replica's config lacks) are logged and skipped.
func (p *Proxy) SyncStore(ctx context.Context) error {
	if p.store == nil {
		return nil
	}
	all, err := p.store.Load(ctx)
	if err != nil {
		return err
	}
	for name, sw := range all {
		p.applyMu.Lock()
		cur := p.versions[name]
		known := p.rt.Load().route(name) != nil
		p.applyMu.Unlock()
		if !known || sw.Version <= cur {
			continue
		}
		if _, err := p.applyWeights(name, sw.Weights, "store", sw.Version); err != nil {
			p.log.Warn("stored weights not applied", "route", name, "version", sw.Version, "err", err)
		}
	}
	return nil
}

// runStore polls the store every interval, and when it reports a change, until ctx is done.
func (p *Proxy) runStore(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	changes := make(chan struct{}, 1)
	if w, ok := p.store.(WeightWatcher); ok {
		var wg sync.WaitGroup
		defer wg.Wait() // runStore returns when ctx is done, and so does Watch
		wg.Go(func() {
			w.Watch(ctx, func() {
				select {
				case changes <- struct{}{}:
				default: // one pending signal is enough: SyncStore reads everything
				}
			})
		})
	}
	for {
		if err := p.SyncStore(ctx); err != nil && ctx.Err() == nil {
			p.log.Warn("reading shared weights failed; keeping the current ones", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-changes:
		}
	}
}

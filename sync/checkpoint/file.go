package checkpoint

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/carve-dev/carve/internal/atomicfile"
)

// File keeps leases and checkpoints in a JSON file, rewritten atomically (write, fsync, rename)
// on every change. An exclusive lock on the file keeps a second worker out: the file store is for
// a single worker.
type File struct {
	path string
	lock *os.File
	mu   sync.Mutex
	rows map[string]Lease
	now  func() time.Time
}

// OpenFile opens (or creates) the checkpoint file at path and locks it.
func OpenFile(path string) (*File, error) {
	lf, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("checkpoint file %s: %w", path, err)
	}
	if err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lf.Close()
		return nil, fmt.Errorf("checkpoint file %s is in use by another worker (a file store serves one worker; use a dynamodb checkpoint table to run several): %w", path, err)
	}
	f := &File{path: path, lock: lf, rows: map[string]Lease{}, now: time.Now}
	b, err := os.ReadFile(path)
	switch {
	case os.IsNotExist(err):
	case err != nil:
		f.Close()
		return nil, fmt.Errorf("checkpoint file %s: %w", path, err)
	default:
		var rows []Lease
		if err := json.Unmarshal(b, &rows); err != nil {
			f.Close()
			return nil, fmt.Errorf("checkpoint file %s is corrupt (%v): restore it or remove it and run `carve sync backfill`", path, err)
		}
		for _, r := range rows {
			f.rows[r.Stream+"|"+r.Shard] = r
		}
	}
	return f, nil
}

func (f *File) save() error {
	rows := make([]Lease, 0, len(f.rows))
	for _, r := range f.rows {
		rows = append(rows, r)
	}
	b, err := json.MarshalIndent(rows, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(f.path, b, 0o644); err != nil {
		return fmt.Errorf("checkpoint file: %w", err)
	}
	return nil
}

// Leases implements Store.
func (f *File) Leases(_ context.Context, stream string) ([]Lease, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Lease
	for _, r := range f.rows {
		if r.Stream == stream {
			out = append(out, r)
		}
	}
	return out, nil
}

// Acquire implements Store.
func (f *File) Acquire(_ context.Context, stream, shard, parent, owner string, d time.Duration) (Lease, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := stream + "|" + shard
	l, ok := f.rows[k]
	if !ok {
		l = Lease{Stream: stream, Shard: shard}
	}
	now := f.now()
	if l.Owner != owner && !l.Free(now) {
		return Lease{}, false, nil
	}
	l.Parent, l.Owner, l.Expiry, l.Handover = parent, owner, now.Add(d), ""
	l.Counter++
	f.rows[k] = l
	return l, true, f.save()
}

func (f *File) update(l Lease, change func(*Lease)) (Lease, error) {
	return f.change(l, func(c *Lease) { change(c); c.Counter++ })
}

// change applies change to l's row if l.Owner still owns it.
func (f *File) change(l Lease, change func(*Lease)) (Lease, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := l.Stream + "|" + l.Shard
	cur, ok := f.rows[k]
	if !ok || cur.Owner != l.Owner {
		return l, fmt.Errorf("shard %s: %w", l.Shard, ErrLeaseLost)
	}
	change(&cur)
	f.rows[k] = cur
	return cur, f.save()
}

// RequestHandover implements Store.
func (f *File) RequestHandover(_ context.Context, l Lease, to string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := l.Stream + "|" + l.Shard
	cur, ok := f.rows[k]
	if !ok || cur.Owner != l.Owner || cur.Counter != l.Counter {
		return false, nil
	}
	cur.Handover = to
	f.rows[k] = cur
	return true, f.save()
}

// Forget implements Store.
func (f *File) Forget(_ context.Context, stream, shard string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := stream + "|" + shard
	if l, ok := f.rows[k]; !ok || l.Checkpoint != ShardEnd {
		return nil
	}
	delete(f.rows, k)
	return f.save()
}

// Renew implements Store.
func (f *File) Renew(_ context.Context, l Lease, d time.Duration) (Lease, error) {
	return f.update(l, func(c *Lease) { c.Expiry = f.now().Add(d) })
}

// Checkpoint implements Store.
func (f *File) Checkpoint(_ context.Context, l Lease, seq string, m Mark) (Lease, error) {
	return f.update(l, func(c *Lease) {
		c.Checkpoint = seq
		if m != (Mark{}) {
			c.Mark = m
		}
	})
}

// SetMark implements Store.
func (f *File) SetMark(_ context.Context, l Lease, m Mark) (Lease, error) {
	return f.change(l, func(c *Lease) { c.Mark = m })
}

// Release implements Store.
func (f *File) Release(_ context.Context, l Lease) error {
	_, err := f.update(l, func(c *Lease) { c.Owner, c.Expiry, c.Handover = "", time.Time{}, "" })
	return err
}

// RaiseHwm implements Store.
func (f *File) RaiseHwm(_ context.Context, l Lease, seq string) (string, Lease, error) {
	seq = PadSeq(seq)
	var prev string
	nl, err := f.update(l, func(c *Lease) {
		prev = c.Hwm
		if c.Hwm < seq {
			c.Hwm = seq
		}
	})
	return prev, nl, err
}

// RaiseHwmAny implements Store.
func (f *File) RaiseHwmAny(_ context.Context, stream, shard, seq string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	seq = PadSeq(seq)
	k := stream + "|" + shard
	l, ok := f.rows[k]
	if !ok {
		l = Lease{Stream: stream, Shard: shard}
	}
	if l.Hwm >= seq {
		return nil
	}
	l.Hwm = seq
	l.Counter++
	f.rows[k] = l
	return f.save()
}

// Advance implements Store.
func (f *File) Advance(_ context.Context, stream, shard, seq string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := stream + "|" + shard
	l, ok := f.rows[k]
	if !ok {
		l = Lease{Stream: stream, Shard: shard}
	}
	if !Newer(seq, l.Checkpoint) {
		return nil
	}
	l.Checkpoint = seq
	l.Counter++
	f.rows[k] = l
	return f.save()
}

// Close releases the file lock.
func (f *File) Close() error {
	syscall.Flock(int(f.lock.Fd()), syscall.LOCK_UN)
	return f.lock.Close()
}

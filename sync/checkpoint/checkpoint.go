// Package checkpoint keeps, per stream shard, the last sequence number whose effects every sink
// acknowledged, and the lease that says which worker may process the shard. The lease model is
// the Kinesis Client Library's: one row per shard with an owner, a counter bumped on every
// change and an expiry; every change is a conditional write, so two workers never both believe
// they own a shard, and a dead worker's shards are taken over once their lease expires.
package checkpoint

import (
	"context"
	"errors"
	"strings"
	"time"
)

// ShardEnd is the checkpoint of a shard read to its end: its children may start.
const ShardEnd = "SHARD_END"

// ErrLeaseLost reports that another worker owns the lease now: stop processing the shard.
var ErrLeaseLost = errors.New("lease lost to another worker")

// Lease is one shard's row.
type Lease struct {
	Stream string
	Shard  string
	Parent string
	// Owner is the worker holding the lease; "" when free.
	Owner string
	// Counter increases on every acquisition, renewal and checkpoint.
	Counter int64
	// Expiry is when the lease lapses unless renewed.
	Expiry time.Time
	// Checkpoint is the last sequence number applied by every sink, ShardEnd, or "".
	Checkpoint string
	// Hwm (the `applied_hwm` attribute) is the write-ahead high-water mark: no worker applies a
	// record of the shard before the mark is at or above its sequence number, and no backfill
	// writes before the mark is at or above its version. A record above the mark can therefore
	// not have been applied by anyone, and a sink may write it without reading the version it
	// holds. Zero-padded to 40 digits; "" when never raised.
	Hwm string `json:",omitempty"`
	// Handover names a worker that asked for the lease to even out the load. The owner stops
	// renewing it, finishes or abandons the batch in hand before the lease's fence and hands it
	// back; the asker then acquires it like any free lease. A live lease is never taken from its
	// owner, so two workers never write one shard's records at once.
	Handover string `json:",omitempty"`
	// Mark is how far the shard's changes are applied to every sink (the applied watermark),
	// written with every checkpoint and, while the shard is idle, about once a second. Zero when
	// unknown: never written, or written by a carve from before the watermark was kept.
	Mark Mark `json:",omitzero"`
}

// Mark is a shard's applied watermark: every change of the shard created at or before Time()
// is applied to every sink.
type Mark struct {
	// Applied is the approximate creation time of the last record applied (the stream's
	// ApproximateCreationDateTime: DynamoDB Local rounds it down to the minute).
	Applied time.Time `json:",omitzero"`
	// CaughtUp is set while the shard is idle: a read found nothing after the last record
	// applied, so every change created up to CaughtUp (the read's time less worker.stream_delay)
	// is applied. An idle shard holds no one back: CaughtUp follows the clock.
	CaughtUp time.Time `json:",omitzero"`
}

// Time is the moment up to which the shard's changes are applied: the later of Applied and
// CaughtUp; zero when unknown.
func (m Mark) Time() time.Time {
	if m.CaughtUp.After(m.Applied) {
		return m.CaughtUp
	}
	return m.Applied
}

// After reports whether m is ahead of o in either part (worth writing again).
func (m Mark) After(o Mark) bool { return m.Applied.After(o.Applied) || m.CaughtUp.After(o.CaughtUp) }

// Free reports whether a worker may take the lease at now.
func (l Lease) Free(now time.Time) bool { return l.Owner == "" || now.After(l.Expiry) }

// Store keeps leases and checkpoints. Implementations: DynamoDB (shared by workers) and File
// (one worker).
type Store interface {
	// Leases lists the leases of a stream.
	Leases(ctx context.Context, stream string) ([]Lease, error)
	// Acquire takes the shard's lease for owner if it is free, expired or already owner's,
	// creating it if needed. ok is false when another worker holds it.
	Acquire(ctx context.Context, stream, shard, parent, owner string, d time.Duration) (l Lease, ok bool, err error)
	// RequestHandover asks the owner of a live lease to hand it over to worker to, if the lease
	// is unchanged since it was read (same owner and counter): KCL's lease stealing, made safe
	// with a handover. The owner sees Handover at its next renewal, stops renewing and releases
	// the lease once it stopped writing; the lease is never taken while it is live.
	RequestHandover(ctx context.Context, l Lease, to string) (bool, error)
	// Forget deletes a finished shard's row (a shard done and gone from the stream, whose
	// children are done too): lease rows do not pile up over months of shard rollovers.
	Forget(ctx context.Context, stream, shard string) error
	// Renew extends a held lease; ErrLeaseLost if it was taken.
	Renew(ctx context.Context, l Lease, d time.Duration) (Lease, error)
	// Checkpoint records seq and the shard's applied watermark m (left as it is when m is
	// zero) for a held lease; ErrLeaseLost if it was taken.
	Checkpoint(ctx context.Context, l Lease, seq string, m Mark) (Lease, error)
	// SetMark records the applied watermark of a held lease's shard without moving its
	// checkpoint (an idle shard); ErrLeaseLost if it was taken. It does not bump the counter: a
	// pending handover request stays valid.
	SetMark(ctx context.Context, l Lease, m Mark) (Lease, error)
	// Release hands a held lease back (owner cleared, expired).
	Release(ctx context.Context, l Lease) error
	// RaiseHwm raises a held lease's high-water mark to seq if it is below (never lowers it);
	// ErrLeaseLost if the lease was taken. prev is the mark as it stood just before: records
	// above prev cannot have been applied by anyone. l.Hwm is the mark after the call (at or
	// above seq).
	RaiseHwm(ctx context.Context, l Lease, seq string) (prev string, nl Lease, err error)
	// RaiseHwmAny raises a shard's high-water mark to seq if it is below, whoever holds the
	// lease: a backfill does it before it writes with version seq.
	RaiseHwmAny(ctx context.Context, stream, shard, seq string) error
	// Advance moves a shard's checkpoint forward to seq if it is behind (never backwards, never
	// past ShardEnd), whoever holds the lease: how a backfill hands over to the stream.
	Advance(ctx context.Context, stream, shard, seq string) error
	Close() error
}

// Newer reports whether checkpoint a is past b: ShardEnd is past everything, sequence numbers
// compare numerically.
func Newer(a, b string) bool {
	switch {
	case a == b:
		return false
	case a == ShardEnd:
		return true
	case b == ShardEnd:
		return false
	default:
		return pad(a) > pad(b)
	}
}

// PadSeq zero-pads a sequence number to 40 digits ("" stays ""), the form of Lease.Hwm.
func PadSeq(seq string) string {
	if seq == "" {
		return ""
	}
	return pad(seq)
}

// pad zero-pads a sequence number to 40 digits so that string order is numeric order.
func pad(seq string) string {
	if len(seq) >= 40 {
		return seq
	}
	return strings.Repeat("0", 40-len(seq)) + seq
}

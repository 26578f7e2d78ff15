// Package sink applies changes to a destination store so that replays, duplicates and
// out-of-order redelivery are harmless: every write carries a version (the source record's
// sequence number, zero-padded to 40 digits) and a write older than what the store holds is
// skipped. A delete leaves a tombstone with its version, so a late older insert cannot bring the
// item back. Sinks that publish each change as an event instead (events.go: sns.go, sqs.go)
// carry the version in the event for consumers to compare.
//
// Each sink kind is one file (dynamodb.go, postgres.go, sns.go, sqs.go) holding all of it: its
// sync.yaml settings (a Config: documented struct, defaults, checks, whether it publishes or
// can be one side of a two-way pipeline), its opener and the sink itself, registered under its
// key by an init function (kind.go). Adding a kind is adding a file; see docs/sync.md.
package sink

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/carve-dev/carve/sync/item"
)

// Write is one change for a sink.
type Write struct {
	// Item holds the data attributes after the pipeline's mapping, key included; for a delete,
	// at least the key attributes.
	Item item.Item
	// Delete makes the write a tombstone.
	Delete bool
	// Version is the source record's sequence number, zero-padded to 40 digits.
	Version string
	// Origin is the source table (two-way pipelines).
	Origin string
	// Clock is the value of the two-way version attribute (two-way pipelines).
	Clock types.AttributeValue
	// SawTarget marks a two-way delete of an item that was sync's copy of the target's own
	// write at version Clock: the deleter saw exactly what the target holds at that version, so
	// the delete wins over it whichever side wins ties (a delete bumps no version).
	SawTarget bool
	// Fresh says that no writer can have applied this version or a newer one of the key yet
	// (the record is above its shard's applied high-water mark; see docs/sync.md, Batching): a
	// sink that would read the version it holds before writing (the DynamoDB sink in batch mode)
	// may write it blind. Other sinks ignore it; their guard is in the write.
	Fresh bool
	// Ref identifies the source record in errors and dead letters (shard and sequence number).
	Ref string
	// Keys holds the item's key attributes after mapping: event sinks (SNS, SQS) publish them and
	// keep each key's events in order.
	Keys item.Item
	// Old is the item before the change, after mapping, when the stream carried it and it was in
	// the pipeline's selection; event sinks publish it beside the new image.
	Old item.Item
	// Event is what happened from the pipeline's point of view: INSERT (also an item entering its
	// selection), MODIFY, REMOVE (also an item leaving it) or SNAPSHOT (a backfill's copy).
	Event string
	// Created is the record's approximate creation time (zero for a backfill).
	Created time.Time
}

// Result counts what a batch did.
type Result struct {
	Applied int // written
	Stale   int // skipped: the sink already held a newer version
}

// Sink is a destination store.
type Sink interface {
	// Apply writes the batch. Writes to the same key may appear several times in order; only
	// the newest version takes effect. It returns only after the store acknowledged every write.
	Apply(ctx context.Context, ws []Write) (Result, error)
	// Key lists the store's key attributes (after mapping).
	Key() []string
	Close()
}

// PermanentError marks a failure caused by the data (a value the store rejects), which retrying
// the same write will not fix: the write is retried a few times, then dead-lettered. Any other
// error is treated as an outage and retried until it clears.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent wraps err as a PermanentError.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err}
}

// IsPermanent reports whether err is (or wraps) a PermanentError.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// Coalesce keeps, per key, only the write with the highest version (the last one on a tie):
// within one batch the older writes would be skipped by the version guard anyway, and stores
// reject two writes to one key in a transaction or statement.
func Coalesce(ws []Write, key []string) ([]Write, error) {
	idx := make(map[string]int, len(ws))
	out := make([]Write, 0, len(ws))
	for _, w := range ws {
		for _, k := range key {
			if _, ok := w.Item[k]; !ok {
				return nil, Permanent(errMissingKey(k, w))
			}
		}
		ks := item.KeyString(w.Item, key)
		if i, ok := idx[ks]; ok {
			if w.Version >= out[i].Version {
				out[i] = w
			}
			continue
		}
		idx[ks] = len(out)
		out = append(out, w)
	}
	return out, nil
}

type missingKeyError struct {
	attr string
	ref  string
}

func (e missingKeyError) Error() string {
	return "record " + e.ref + ": the mapped item has no key attribute " + e.attr + ": map the source key to it (map.key) or fix the filter"
}

func errMissingKey(attr string, w Write) error { return missingKeyError{attr: attr, ref: w.Ref} }

package job

import (
	"testing"
	"time"

	"github.com/carve-dev/carve/sync/checkpoint"
	"github.com/carve-dev/carve/sync/stream"
)

// TestPipelineWatermark: the job's watermark is the lowest over its shards, read from the lease
// rows; lineage decides which shards count, and an unknown shard passes nothing.
func TestPipelineWatermark(t *testing.T) {
	t0 := time.UnixMilli(1_700_000_000_000)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	applied := func(s int) checkpoint.Mark { return checkpoint.Mark{Applied: at(s)} }
	idle := func(s int) checkpoint.Mark { return checkpoint.Mark{Applied: at(0), CaughtUp: at(s)} }
	row := func(shard, parent, cp string, m checkpoint.Mark) checkpoint.Lease {
		return checkpoint.Lease{Shard: shard, Parent: parent, Checkpoint: cp, Mark: m, Owner: "w1"}
	}
	open := func(id, parent string) stream.Shard { return stream.Shard{ID: id, Parent: parent} }
	closed := func(id, parent string) stream.Shard { return stream.Shard{ID: id, Parent: parent, Closed: true} }
	const end = checkpoint.ShardEnd
	for _, tc := range []struct {
		name   string
		shards []stream.Shard
		leases []checkpoint.Lease
		want   int // seconds after t0; -1: unknown
		behind string
		count  int
	}{
		{"nothing listed yet", nil, nil, -1, "", 0},
		{"lowest of two workers' shards", []stream.Shard{open("a", ""), open("b", "")},
			[]checkpoint.Lease{row("a", "", "5", applied(10)), row("b", "", "7", applied(4))}, 4, "b", 2},
		{"an idle shard follows its caught-up time", []stream.Shard{open("a", ""), open("b", "")},
			[]checkpoint.Lease{row("a", "", "5", idle(30)), row("b", "", "7", applied(12))}, 12, "b", 2},
		{"a shard nobody leased yet is unknown", []stream.Shard{open("a", ""), open("b", "")},
			[]checkpoint.Lease{row("a", "", "5", applied(10))}, -1, "b", 2},
		{"a row from an older carve is unknown", []stream.Shard{open("a", ""), open("b", "")},
			[]checkpoint.Lease{row("a", "", "5", applied(10)), row("b", "", "7", checkpoint.Mark{})}, -1, "b", 2},
		{"a finished parent with a known child is left out", []stream.Shard{closed("p", ""), open("c", "p")},
			[]checkpoint.Lease{row("p", "", end, applied(3)), row("c", "p", "9", applied(20))}, 20, "c", 1},
		{"an unread child starts where its finished parent ended", []stream.Shard{closed("p", ""), open("c", "p")},
			[]checkpoint.Lease{row("p", "", end, idle(8))}, 8, "c", 1},
		{"a child waits behind its unfinished parent, which counts", []stream.Shard{closed("p", ""), open("c", "p")},
			[]checkpoint.Lease{row("p", "", "4", applied(6))}, 6, "p", 1},
		{"a finished shard whose children are not listed yet counts", []stream.Shard{closed("p", ""), open("b", "")},
			[]checkpoint.Lease{row("p", "", end, applied(5)), row("b", "", "1", idle(50))}, 5, "p", 2},
		{"a child known only from its lease row", []stream.Shard{closed("p", "")},
			[]checkpoint.Lease{row("p", "", end, applied(5)), row("c", "p", "2", applied(9))}, 9, "c", 1},
		{"a child whose parent left the stream and the store is unknown without a mark", []stream.Shard{open("c", "gone")},
			nil, -1, "c", 1},
		{"split: both children count", []stream.Shard{closed("p", ""), open("c1", "p"), open("c2", "p")},
			[]checkpoint.Lease{row("p", "", end, applied(5)), row("c1", "p", "2", idle(40)), row("c2", "p", "3", applied(7))}, 7, "c2", 2},
		{"an unknown shard hides the lower ones after it", []stream.Shard{open("a", ""), open("b", ""), open("c", "")},
			[]checkpoint.Lease{row("b", "", "1", applied(9)), row("c", "", "1", applied(1))}, -1, "a", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := pipelineWatermark(tc.shards, tc.leases)
			want := time.Time{}
			if tc.want >= 0 {
				want = at(tc.want)
			}
			if !got.At.Equal(want) || got.Behind != tc.behind || got.Shards != tc.count {
				t.Errorf("got %v behind %q over %d shards, want %v behind %q over %d", got.At, got.Behind, got.Shards, want, tc.behind, tc.count)
			}
		})
	}
}

// TestShardMarkMonotonic: a shard's watermark never goes back, and a caught-up read counts
// only once the last record it saw is applied.
func TestShardMarkMonotonic(t *testing.T) {
	t0 := time.UnixMilli(1_700_000_000_000)
	r := &running{streamDelay: time.Second, mark: checkpoint.Mark{Applied: t0}}
	r.applyDone("5", t0.Add(-time.Minute)) // an older creation time (rounded down) keeps the mark
	if got := r.currentMark().Time(); !got.Equal(t0) {
		t.Fatalf("mark went back to %v", got)
	}
	r.idle(t0.Add(10*time.Second), "7") // caught up after 7, which is not applied yet
	if got := r.currentMark().Time(); !got.Equal(t0) {
		t.Fatalf("a caught-up read counted before its last record was applied: %v", got)
	}
	r.applyDone("7", t0.Add(2*time.Second))
	if got := r.currentMark().Time(); !got.Equal(t0.Add(9 * time.Second)) {
		t.Fatalf("after the tip was applied: %v, want t0+9s (the read less the stream delay)", got)
	}
	if m, moved := r.unpublished(); !moved || !m.Time().Equal(t0.Add(9*time.Second)) {
		t.Fatalf("unpublished = %v %v", m, moved)
	}
	r.markPublished(r.currentMark())
	if _, moved := r.unpublished(); moved {
		t.Fatal("published mark still reported as moved")
	}
}

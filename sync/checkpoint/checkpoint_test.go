package checkpoint_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/carve-dev/carve/internal/testenv"
	"github.com/carve-dev/carve/sync/checkpoint"
)

func TestNewer(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"000000000000000000002", "000000000000000000001", true},
		{"10", "9", true},
		{"9", "000000000000000000010", false},
		{checkpoint.ShardEnd, "99", true},
		{"99", checkpoint.ShardEnd, false},
		{"5", "", true},
		{"5", "5", false},
	} {
		if got := checkpoint.Newer(tc.a, tc.b); got != tc.want {
			t.Errorf("Newer(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}

// exercise runs the lease protocol against a store: exclusive ownership, renewal, checkpoint
// fencing, takeover after expiry, stealing, release and monotonic Advance.
// Long on purpose: the lease protocol's steps in order, each on the leases the one before left.
func exercise(t *testing.T, s checkpoint.Store, shared bool) {
	ctx := context.Background()
	const arn = "arn:stream"
	// A long first lease: on a loaded machine the next call can come late, and the "live lease"
	// check must not race the expiry. The renewal below shortens it for the takeover.
	l1, ok, err := s.Acquire(ctx, arn, "s0", "", "w1", 10*time.Second)
	if err != nil || !ok || l1.Owner != "w1" || l1.Counter == 0 {
		t.Fatalf("acquire: %+v %v %v", l1, ok, err)
	}
	if shared {
		if _, ok, _ := s.Acquire(ctx, arn, "s0", "", "w2", time.Second); ok {
			t.Fatal("w2 took a live lease")
		}
	}
	if l1, err = s.Renew(ctx, l1, 300*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if l1, err = s.Checkpoint(ctx, l1, "000000000000000000100", checkpoint.Mark{}); err != nil || l1.Checkpoint != "000000000000000000100" {
		t.Fatalf("checkpoint: %+v %v", l1, err)
	}
	time.Sleep(400 * time.Millisecond) // w1 stalls past its lease
	l2, ok, err := s.Acquire(ctx, arn, "s0", "", "w2", time.Second)
	if err != nil || !ok || l2.Checkpoint != "000000000000000000100" {
		t.Fatalf("takeover after expiry: %+v %v %v", l2, ok, err)
	}
	// The stalled worker wakes up: its checkpoint and renewal are refused.
	if _, err := s.Checkpoint(ctx, l1, "000000000000000000200", checkpoint.Mark{}); !errors.Is(err, checkpoint.ErrLeaseLost) {
		t.Fatalf("zombie checkpoint: %v", err)
	}
	if _, err := s.Renew(ctx, l1, time.Second); !errors.Is(err, checkpoint.ErrLeaseLost) {
		t.Fatalf("zombie renew: %v", err)
	}
	// A handover request needs the lease unchanged since it was read, and never takes a live
	// lease: the owner sees the request when it renews, and hands the lease back.
	if ok, _ := s.RequestHandover(ctx, l2, "w3"); !ok {
		t.Fatal("handover request on an unchanged lease failed")
	}
	if _, ok, _ := s.Acquire(ctx, arn, "s0", "", "w3", time.Second); ok {
		t.Fatal("the asker took a live lease")
	}
	if l2, err = s.Renew(ctx, l2, time.Second); err != nil || l2.Handover != "w3" {
		t.Fatalf("renewal does not show the handover request: %+v %v", l2, err)
	}
	stale := l2
	stale.Counter--
	if ok, _ := s.RequestHandover(ctx, stale, "w4"); ok {
		t.Fatal("handover request on a changed lease succeeded")
	}
	if err := s.Release(ctx, l2); err != nil {
		t.Fatal(err)
	}
	if l3, ok, _ := s.Acquire(ctx, arn, "s0", "", "w3", time.Second); !ok || l3.Handover != "" {
		t.Fatalf("the asker could not take the handed-back lease: %+v %v", l3, ok)
	}
	// Advance never moves a checkpoint back.
	if err := s.Advance(ctx, arn, "s0", "000000000000000000050"); err != nil {
		t.Fatal(err)
	}
	if err := s.Advance(ctx, arn, "s1", "000000000000000000300"); err != nil {
		t.Fatal(err)
	}
	ls, err := s.Leases(ctx, arn)
	if err != nil || len(ls) != 2 {
		t.Fatalf("leases: %+v %v", ls, err)
	}
	for _, l := range ls {
		want := map[string]string{"s0": "000000000000000000100", "s1": "000000000000000000300"}[l.Shard]
		if l.Checkpoint != want {
			t.Errorf("%s checkpoint %s, want %s", l.Shard, l.Checkpoint, want)
		}
		if l.Shard == "s0" && l.Owner != "w3" {
			t.Errorf("s0 owned by %q, want w3", l.Owner)
		}
	}
	l3 := ls[0]
	if l3.Shard != "s0" {
		l3 = ls[1]
	}
	if err := s.Release(ctx, l3); err != nil {
		t.Fatal(err)
	}
	l5, ok, _ := s.Acquire(ctx, arn, "s0", "", "w5", time.Second)
	if !ok {
		t.Fatal("a released lease could not be taken")
	}
	exerciseHwm(t, s, l5)
	exerciseMark(t, s)
}

// exerciseMark: the applied watermark is written with a checkpoint and on its own (without
// bumping the counter, so a handover request stays valid), fenced on the lease, kept by a
// checkpoint without one, and seen by the next owner.
func exerciseMark(t *testing.T, s checkpoint.Store) {
	ctx := context.Background()
	const arn = "arn:mark"
	l, ok, err := s.Acquire(ctx, arn, "s0", "", "w1", 10*time.Second)
	if err != nil || !ok {
		t.Fatalf("acquire: %v %v", ok, err)
	}
	if !l.Mark.Time().IsZero() {
		t.Fatalf("fresh lease has a watermark: %+v", l.Mark)
	}
	applied := time.UnixMilli(1_700_000_000_000)
	if l, err = s.Checkpoint(ctx, l, "10", checkpoint.Mark{Applied: applied}); err != nil || !l.Mark.Applied.Equal(applied) || !l.Mark.CaughtUp.IsZero() {
		t.Fatalf("checkpoint with a mark: %+v %v", l.Mark, err)
	}
	idle := applied.Add(5 * time.Second)
	before := l.Counter
	if l, err = s.SetMark(ctx, l, checkpoint.Mark{Applied: applied, CaughtUp: idle}); err != nil || !l.Mark.Time().Equal(idle) || l.Counter != before {
		t.Fatalf("set mark: %+v counter %d (was %d) %v", l.Mark, l.Counter, before, err)
	}
	if l, err = s.Checkpoint(ctx, l, "11", checkpoint.Mark{}); err != nil || !l.Mark.Time().Equal(idle) {
		t.Fatalf("a checkpoint without a mark lost it: %+v %v", l.Mark, err)
	}
	zombie := l
	zombie.Owner = "w0"
	if _, err := s.SetMark(ctx, zombie, checkpoint.Mark{CaughtUp: idle.Add(time.Hour)}); !errors.Is(err, checkpoint.ErrLeaseLost) {
		t.Fatalf("a worker without the lease set the mark: %v", err)
	}
	if err := s.Release(ctx, l); err != nil {
		t.Fatal(err)
	}
	l2, ok, err := s.Acquire(ctx, arn, "s0", "", "w2", time.Second)
	if err != nil || !ok || !l2.Mark.Time().Equal(idle) || !l2.Mark.Applied.Equal(applied) {
		t.Fatalf("the next owner does not see the mark: %+v %v %v", l2.Mark, ok, err)
	}
}

// exerciseHwm: the applied high-water mark only rises, reports the mark before each raise, is
// fenced on the lease, and survives a takeover; a backfill raises it without the lease.
func exerciseHwm(t *testing.T, s checkpoint.Store, l checkpoint.Lease) {
	ctx := context.Background()
	p := checkpoint.PadSeq
	if l.Hwm != "" {
		t.Fatalf("fresh lease has a mark: %+v", l)
	}
	prev, l, err := s.RaiseHwm(ctx, l, "120")
	if err != nil || prev != "" || l.Hwm != p("120") {
		t.Fatalf("first raise: %q %+v %v", prev, l, err)
	}
	prev, l, err = s.RaiseHwm(ctx, l, "90") // never lowered
	if err != nil || prev != p("120") || l.Hwm != p("120") {
		t.Fatalf("lower raise: %q %+v %v", prev, l, err)
	}
	if err := s.RaiseHwmAny(ctx, l.Stream, l.Shard, "500"); err != nil { // a backfill
		t.Fatal(err)
	}
	if err := s.RaiseHwmAny(ctx, l.Stream, l.Shard, "400"); err != nil {
		t.Fatal(err)
	}
	// The worker still believes 120: the raise to 300 reports 500, the backfill's mark.
	prev, l, err = s.RaiseHwm(ctx, l, "300")
	if err != nil || prev != p("500") || l.Hwm != p("500") {
		t.Fatalf("raise below a backfill's mark: %q %+v %v", prev, l, err)
	}
	prev, l, err = s.RaiseHwm(ctx, l, "700")
	if err != nil || prev != p("500") || l.Hwm != p("700") {
		t.Fatalf("raise above a backfill's mark: %q %+v %v", prev, l, err)
	}
	if l, err = s.Renew(ctx, l, 300*time.Millisecond); err != nil || l.Hwm != p("700") {
		t.Fatalf("renew: %+v %v", l, err)
	}
	time.Sleep(400 * time.Millisecond)
	l2, ok, err := s.Acquire(ctx, l.Stream, l.Shard, "", "w6", time.Second)
	if err != nil || !ok || l2.Hwm != p("700") {
		t.Fatalf("takeover sees the mark: %+v %v %v", l2, ok, err)
	}
	if _, _, err := s.RaiseHwm(ctx, l, "800"); !errors.Is(err, checkpoint.ErrLeaseLost) {
		t.Fatalf("zombie raise: %v", err)
	}
	if _, _, err := s.RaiseHwm(ctx, l, "600"); !errors.Is(err, checkpoint.ErrLeaseLost) {
		t.Fatalf("zombie raise below the mark: %v", err)
	}
}

func TestDynamoDBStore(t *testing.T) {
	ddb := testenv.DynamoDB(t)
	s, err := checkpoint.OpenDynamoDB(context.Background(), ddb.Client, "carve-sync")
	if err != nil {
		t.Fatal(err)
	}
	// Opening again finds the table.
	if _, err := checkpoint.OpenDynamoDB(context.Background(), ddb.Client, "carve-sync"); err != nil {
		t.Fatal(err)
	}
	exercise(t, s, true)
	// A row written by a carve from before the watermark was kept has none: unknown, not 1970.
	if _, err := ddb.Client.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String("carve-sync"), Item: map[string]types.AttributeValue{
		"stream": &types.AttributeValueMemberS{Value: "arn:old"}, "shard": &types.AttributeValueMemberS{Value: "s0"},
		"owner": &types.AttributeValueMemberS{Value: "w1"}, "counter": &types.AttributeValueMemberN{Value: "3"},
		"expiry": &types.AttributeValueMemberN{Value: "0"}, "checkpoint": &types.AttributeValueMemberS{Value: "42"},
	}}); err != nil {
		t.Fatal(err)
	}
	ls, err := s.Leases(context.Background(), "arn:old")
	if err != nil || len(ls) != 1 || ls[0].Checkpoint != "42" || ls[0].Mark != (checkpoint.Mark{}) {
		t.Fatalf("old row: %+v %v", ls, err)
	}
}

func TestFileStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cp.json")
	s, err := checkpoint.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	exercise(t, s, true)
	if _, err := checkpoint.OpenFile(path); err == nil || !strings.Contains(err.Error(), "in use by another worker") {
		t.Fatalf("a second worker opened the file: %v", err)
	}
	s.Close()
	// The file survives a restart.
	s2, err := checkpoint.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	ls, _ := s2.Leases(context.Background(), "arn:stream")
	if len(ls) != 2 {
		t.Fatalf("after reopen: %+v", ls)
	}
	s2.Close()
	// A file written by a carve from before the watermark was kept has none: unknown.
	os.WriteFile(path, []byte(`[{"Stream":"arn:old","Shard":"s0","Owner":"","Counter":3,"Expiry":"0001-01-01T00:00:00Z","Checkpoint":"42"}]`), 0o644)
	if s2, err = checkpoint.OpenFile(path); err != nil {
		t.Fatal(err)
	}
	if ls, _ := s2.Leases(context.Background(), "arn:old"); len(ls) != 1 || ls[0].Checkpoint != "42" || ls[0].Mark != (checkpoint.Mark{}) {
		t.Fatalf("old file: %+v", ls)
	}
	os.WriteFile(path, []byte("{not json"), 0o644)
	s2.Close()
	if _, err := checkpoint.OpenFile(path); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("corrupt file: %v", err)
	}
}

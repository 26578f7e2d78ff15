package deadletter_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/carve-dev/carve/internal/testenv"
	"github.com/carve-dev/carve/sync/config"
	"github.com/carve-dev/carve/sync/deadletter"
	. "github.com/carve-dev/carve/sync/internal/synctest"
	"github.com/carve-dev/carve/sync/item"
	"github.com/carve-dev/carve/sync/stream"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

// TestReplayDeadLettersKeepsTypes: entries in a dead-letter table are replayed into a DynamoDB
// sink once the cause is fixed. Binary stays binary and a string set stays a set (the entries
// keep DynamoDB's types); an entry older than what the sink holds now is skipped, not written
// over the newer item; an entry that still fails stays in the store; done entries leave it.
func TestReplayDeadLettersKeepsTypes(t *testing.T) {
	ddb := Tables(t, Target("orders", "pk"))
	c := ddb.Client
	dir := t.TempDir()
	cfg, err := config.Parse(filepath.Join(dir, "sync.yaml"), []byte(`
source: {table: shop, endpoint: "`+ddb.Endpoint+`"}
checkpoints: {file: "`+dir+`/cp.json"}
dead_letter: {dynamodb: {table: carve-dlq}}
pipelines:
  - name: orders
    sink: {dynamodb: {table: orders}}
`))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	store, err := deadletter.Open(ctx, cfg.DeadLetter)
	if err != nil {
		t.Fatal(err)
	}
	rec := func(seq int, img item.Item) stream.Record {
		return stream.Record{Shard: "s0", Seq: fmt.Sprintf("%021d", seq), Event: stream.Modify, Keys: item.Item{"pk": img["pk"]}, New: img}
	}
	fail := errors.New("the sink refused it")
	for _, r := range []stream.Record{
		rec(10, item.Item{"pk": S("bin"), "blob": &types.AttributeValueMemberB{Value: []byte{0, 1, 2}}, "tags": &types.AttributeValueMemberSS{Value: []string{"a", "b"}}}),
		rec(11, item.Item{"pk": S("old"), "v": S("dead-lettered")}),
		rec(12, item.Item{"nokey": S("x")}), // still poison: no key attribute
	} {
		if err := store.Put(ctx, deadletter.NewEntry("orders", "arn", r, fail)); err != nil {
			t.Fatal(err)
		}
	}
	store.Close()
	newer, _ := item.PadSeq(fmt.Sprintf("%021d", 50))
	Put(t, c, "orders", item.Item{"pk": S("old"), "v": S("newer"), item.Seq: S(newer)})

	res, err := deadletter.Replay(ctx, cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if res.Replayed != 1 || res.Stale != 1 || res.Failed != 1 || res.Removed != 2 {
		t.Fatalf("replay: %+v, want 1 replayed, 1 stale, 1 failed, 2 removed", res)
	}
	got := Get(t, c, "orders", item.Item{"pk": S("bin")})
	if b, ok := got["blob"].(*types.AttributeValueMemberB); !ok || string(b.Value) != "\x00\x01\x02" {
		t.Errorf("blob = %#v, want binary 00 01 02", got["blob"])
	}
	if ss, ok := got["tags"].(*types.AttributeValueMemberSS); !ok || len(ss.Value) != 2 {
		t.Errorf("tags = %#v, want a string set", got["tags"])
	}
	if v := item.Str(Get(t, c, "orders", item.Item{"pk": S("old")}), "v"); v != "newer" {
		t.Errorf("the replay wrote over a newer version: v = %q", v)
	}
	if n := len(Scan(t, c, "carve-dlq")); n != 1 {
		t.Errorf("%d entries left in the dead-letter table, want the one that still fails", n)
	}
}

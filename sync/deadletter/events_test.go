package deadletter_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carve-dev/carve/internal/testenv"
	"github.com/carve-dev/carve/sync/config"
	"github.com/carve-dev/carve/sync/deadletter"
	. "github.com/carve-dev/carve/sync/internal/synctest"
	"github.com/carve-dev/carve/sync/item"
	"github.com/carve-dev/carve/sync/sink"
	"github.com/carve-dev/carve/sync/stream"
)

// TestReplayIntoTopic: a change dead-lettered by an SNS pipeline for being too large is published
// once the mapping drops the large attribute, with the id the original event had.
func TestReplayIntoTopic(t *testing.T) {
	g := testenv.GoAWS(t, []testenv.Topic{{Name: "changes", Queues: []string{"q"}}})
	dir := t.TempDir()
	cfg, err := config.Parse(filepath.Join(dir, "sync.yaml"), []byte(`
source: {table: shop}
checkpoints: {file: "`+dir+`/cp.json"}
dead_letter: {file: "`+dir+`/dlq.jsonl"}
pipelines:
  - name: events
    map: {drop: [blob]}
    sink: {sns: {topic_arn: "`+g.TopicArn("changes")+`", endpoint: "`+g.Endpoint+`"}}
`))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	store, err := deadletter.Open(ctx, cfg.DeadLetter)
	if err != nil {
		t.Fatal(err)
	}
	seq := fmt.Sprintf("%021d", 7)
	img := item.Item{"pk": S("big"), "n": N(1), "blob": S(strings.Repeat("x", 300*1024))}
	r := stream.Record{Shard: "s0", Seq: seq, Event: stream.Insert, Keys: item.Item{"pk": S("big")}, New: img}
	if err := store.Put(ctx, deadletter.NewEntry("events", "arn", r, errors.New("the event is too large"))); err != nil {
		t.Fatal(err)
	}
	store.Close()

	res, err := deadletter.Replay(ctx, cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil || res.Replayed != 1 {
		t.Fatalf("replay: %+v, %v", res, err)
	}
	ms, err := g.Drain(ctx, "q")
	if err != nil || len(ms) != 1 {
		t.Fatalf("%d messages, %v", len(ms), err)
	}
	var e sink.Event
	if err := json.Unmarshal([]byte(ms[0].Body), &e); err != nil {
		t.Fatal(err)
	}
	version, _ := item.PadSeq(seq)
	if want := sink.EventID("shop", "events", sink.Write{Ref: "s0/" + seq, Version: version}); e.ID != want {
		t.Errorf("replayed id %s, want the original %s", e.ID, want)
	}
	if e.Event != "INSERT" || e.New["blob"] != nil || fmt.Sprint(e.New["n"]) != "1" || e.SequenceNumber != version {
		t.Errorf("replayed event %+v", e)
	}
}

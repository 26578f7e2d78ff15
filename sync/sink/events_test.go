package sink_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/carve-dev/carve/internal/testenv"
	"github.com/carve-dev/carve/sync/awsconf"
	. "github.com/carve-dev/carve/sync/internal/synctest"
	"github.com/carve-dev/carve/sync/item"
	"github.com/carve-dev/carve/sync/sink"
	"github.com/carve-dev/carve/sync/stream"
)

// openSNS opens an SNS sink on a fresh goaws whose topic feeds queue "q".
func openSNS(t *testing.T, topic string, concurrency int) (*sink.Events, *testenv.SNSSQS) {
	t.Helper()
	g := testenv.GoAWS(t, []testenv.Topic{{Name: topic, Queues: []string{"q"}}})
	api, err := awsconf.SNS(context.Background(), g.Region, g.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sink.OpenSNS(context.Background(), api, g.TopicArn(topic), "shop", "orders", concurrency, stream.Backoff{Initial: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return s, g
}

func drainEvents(t *testing.T, g *testenv.SNSSQS) ([]sink.Event, []testenv.Message) {
	t.Helper()
	ms, err := g.Drain(context.Background(), "q")
	if err != nil {
		t.Fatal(err)
	}
	evs := make([]sink.Event, len(ms))
	for i, m := range ms {
		dec := json.NewDecoder(strings.NewReader(m.Body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&evs[i]); err != nil {
			t.Fatalf("message %d is no event: %v\n%s", i, err, m.Body)
		}
	}
	return evs, ms
}

// TestSNSEnvelope publishes an insert, an update and a delete through goaws into a subscribed
// queue and reads the documented envelope back: plain JSON images, keys, the version as the
// sequence number, the creation time, a stable id, and the filtering attributes.
// Its complexity is its checks: one condition per envelope field, on three events.
func TestSNSEnvelope(t *testing.T) {
	s, g := openSNS(t, "changes", 4)
	created := time.Date(2026, 12, 5, 10, 30, 0, 0, time.UTC)
	key := item.Item{"id": S("o1")}
	v1 := item.Item{"id": S("o1"), "total": N("12.50"), "paid": &types.AttributeValueMemberBOOL{Value: true},
		"lines": &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberM{Value: item.Item{"sku": S("A"), "qty": N(2)}}}}}
	v2 := item.Item{"id": S("o1"), "total": N(13)}
	ws := []sink.Write{
		{Item: v1, Keys: key, Event: "INSERT", Version: v(1), Ref: "shard-1/1", Created: created},
		{Item: v2, Old: v1, Keys: key, Event: "MODIFY", Version: v(2), Ref: "shard-1/2", Created: created},
		{Item: v2, Old: v2, Keys: key, Event: "REMOVE", Delete: true, Version: v(3), Ref: "shard-1/3", Created: created},
	}
	res, err := s.Apply(context.Background(), ws)
	if err != nil {
		t.Fatal(err)
	}
	if res.Applied != 3 || res.Stale != 0 {
		t.Errorf("result %+v, want 3 applied", res)
	}
	evs, ms := drainEvents(t, g)
	if len(evs) != 3 {
		t.Fatalf("got %d events, want 3", len(evs))
	}
	for i, e := range evs {
		if e.Schema != sink.EventSchema || e.Table != "shop" || e.Pipeline != "orders" || e.SequenceNumber != v(i+1) || e.Record != ws[i].Ref {
			t.Errorf("event %d: %+v", i, e)
		}
		if e.ID != sink.EventID("shop", "orders", ws[i]) || len(e.ID) != 32 {
			t.Errorf("event %d: id %q, want the stable EventID", i, e.ID)
		}
		if e.ApproximateCreationTime == nil || !e.ApproximateCreationTime.Equal(created) {
			t.Errorf("event %d: creation time %v, want %v", i, e.ApproximateCreationTime, created)
		}
		if fmt.Sprint(e.Keys) != "map[id:o1]" {
			t.Errorf("event %d: keys %v", i, e.Keys)
		}
		if a := ms[i].Attributes; a["table"] != "shop" || a["pipeline"] != "orders" || a["event"] != e.Event {
			t.Errorf("event %d: message attributes %v", i, a)
		}
	}
	// Plain JSON, not attribute-value JSON: numbers stay numbers, exactly.
	if !strings.Contains(ms[0].Body, `"new":{"id":"o1","lines":[{"qty":2,"sku":"A"}],"paid":true,"total":12.5}`) || !strings.Contains(ms[0].Body, `"old":null`) {
		t.Errorf("insert body: %s", ms[0].Body)
	}
	if evs[1].Event != "MODIFY" || evs[1].Old["paid"] != true || evs[1].New["total"] != float64(13) {
		t.Errorf("update: %+v", evs[1])
	}
	if evs[2].Event != "REMOVE" || evs[2].New != nil || evs[2].Old == nil {
		t.Errorf("delete: %+v", evs[2])
	}
	// Published again (a replay after a crash), the same change carries the same id.
	if _, err := s.Apply(context.Background(), ws[:1]); err != nil {
		t.Fatal(err)
	}
	again, _ := drainEvents(t, g)
	if len(again) != 1 || again[0].ID != evs[0].ID {
		t.Errorf("replayed event id %v, want %s", again, evs[0].ID)
	}
	// Another pipeline publishing the same change gets another id (FIFO de-duplication would
	// otherwise drop one of them).
	if sink.EventID("shop", "audit", ws[0]) == evs[0].ID {
		t.Error("two pipelines share an event id")
	}
}

// TestSNSOrderPerKey publishes many keys with several changes each in one Apply, spread over
// concurrent lanes: every key's events must arrive in version order, none lost or repeated.
func TestSNSOrderPerKey(t *testing.T) {
	for _, topic := range []string{"busy", "busy.fifo"} {
		t.Run(topic, func(t *testing.T) {
			s, g := openSNS(t, topic, 8)
			if s.FIFO() != strings.HasSuffix(topic, ".fifo") {
				t.Errorf("FIFO() = %v", s.FIFO())
			}
			var ws []sink.Write
			for n := 1; n <= 300; n++ {
				k := fmt.Sprintf("k%02d", n%37)
				ws = append(ws, sink.Write{Item: item.Item{"id": S(k), "n": N(n)}, Keys: item.Item{"id": S(k)}, Event: "MODIFY", Version: v(n), Ref: fmt.Sprint("s/", n)})
			}
			if _, err := s.Apply(context.Background(), ws); err != nil {
				t.Fatal(err)
			}
			evs, _ := drainEvents(t, g)
			if len(evs) != len(ws) {
				t.Fatalf("got %d events, want %d", len(evs), len(ws))
			}
			last := map[string]string{}
			for _, e := range evs {
				k := fmt.Sprint(e.Keys["id"])
				if e.SequenceNumber <= last[k] {
					t.Fatalf("key %s: %s after %s", k, e.SequenceNumber, last[k])
				}
				last[k] = e.SequenceNumber
			}
		})
	}
}

// TestSNSBadPaths: a missing topic is refused when the sink opens; an event over 256 KiB is a
// permanent error naming the record (the job dead-letters it), and nothing of its batch is sent.
func TestSNSBadPaths(t *testing.T) {
	s, g := openSNS(t, "changes", 2)
	api, err := awsconf.SNS(context.Background(), g.Region, g.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	_, err = sink.OpenSNS(context.Background(), api, g.TopicArn("nope"), "shop", "orders", 2, stream.Backoff{})
	if err == nil || !strings.Contains(err.Error(), "nope does not exist: create it, or fix sink.sns.topic_arn") {
		t.Errorf("missing topic: %v", err)
	}
	big := strings.Repeat("x", 300*1024)
	ws := []sink.Write{
		{Item: item.Item{"id": S("a"), "v": S("small")}, Keys: item.Item{"id": S("a")}, Version: v(1), Ref: "s/1"},
		{Item: item.Item{"id": S("b"), "v": S(big)}, Keys: item.Item{"id": S("b")}, Version: v(2), Ref: "s/2"},
	}
	_, err = s.Apply(context.Background(), ws)
	if !sink.IsPermanent(err) || !strings.Contains(err.Error(), "record s/2") || !strings.Contains(err.Error(), "over the 256 KiB") {
		t.Errorf("oversize event: %v", err)
	}
	if evs, _ := drainEvents(t, g); len(evs) != 0 {
		t.Errorf("%d events sent from a batch refused before sending", len(evs))
	}
	_, err = s.Apply(context.Background(), []sink.Write{{Item: item.Item{"v": S("x")}, Version: v(3), Ref: "s/3"}})
	if !sink.IsPermanent(err) || !strings.Contains(err.Error(), "no key attributes") {
		t.Errorf("keyless write: %v", err)
	}
	// The service gone: an outage, retried until the context ends, never a permanent error
	// (which would dead-letter good changes).
	g.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err = s.Apply(ctx, ws[:1])
	if err == nil || sink.IsPermanent(err) || ctx.Err() == nil {
		t.Errorf("emulator gone: %v, want retries until the context ended", err)
	}
}

// BenchmarkSNSApply publishes batches of 1000 changes (a GetRecords page) through the SNS sink
// into goaws: the sink's whole hot path, envelope to acknowledgement. `make bench-sync` compares
// the same against a bare publishing loop.
func BenchmarkSNSApply(b *testing.B) {
	g := testenv.GoAWS(b, []testenv.Topic{{Name: "bench"}})
	api, err := awsconf.SNS(context.Background(), g.Region, g.Endpoint)
	if err != nil {
		b.Fatal(err)
	}
	s, err := sink.OpenSNS(context.Background(), api, g.TopicArn("bench"), "shop", "orders", 8, stream.Backoff{})
	if err != nil {
		b.Fatal(err)
	}
	ws := make([]sink.Write, 1000)
	for i := range ws {
		k := fmt.Sprintf("ORDER#%08d", i)
		ws[i] = sink.Write{Item: item.Item{"pk": S(k), "amt": N(i % 1000), "name": S("customer name with a little text in it")},
			Keys: item.Item{"pk": S(k)}, Event: "INSERT", Version: v(i), Ref: fmt.Sprint("s/", i), Created: time.Now()}
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.Apply(context.Background(), ws); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(ws))/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkEventEncode is the sink's own work per change before the SDK: the envelope in plain
// JSON, its id and its message group.
func BenchmarkEventEncode(b *testing.B) {
	w := sink.Write{Item: item.Item{"pk": S("ORDER#00000042"), "amt": N(42), "name": S("customer name with a little text in it")},
		Keys: item.Item{"pk": S("ORDER#00000042")}, Event: "INSERT", Version: v(42), Ref: "s/42", Created: time.Now()}
	for b.Loop() {
		e := sink.NewEvent("shop", "orders", w)
		if _, err := json.Marshal(e); err != nil {
			b.Fatal(err)
		}
		sink.GroupKey(e.Keys)
	}
}

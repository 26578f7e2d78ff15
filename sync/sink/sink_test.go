package sink_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/carve-dev/carve/internal/testenv"
	. "github.com/carve-dev/carve/sync/internal/synctest"
	"github.com/carve-dev/carve/sync/item"
	"github.com/carve-dev/carve/sync/sink"
	"github.com/carve-dev/carve/sync/stream"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

func v(n int) string { return fmt.Sprintf("%040d", n) }

func w(key string, ver int, val string) sink.Write {
	if val == "" {
		return sink.Write{Item: item.Item{"id": S(key)}, Delete: true, Version: v(ver), Ref: fmt.Sprint("s/", ver)}
	}
	return sink.Write{Item: item.Item{"id": S(key), "val": S(val), "n": N(ver)}, Version: v(ver), Ref: fmt.Sprint("s/", ver)}
}

// state reads the sink back as key → val ("" for a tombstone).
type reader func(t *testing.T) map[string]string

// exercise runs the same sequence of batches against a sink: duplicates, out-of-order
// redelivery, deletes and a late insert that must not resurrect.
func exercise(t *testing.T, s sink.Sink, read reader) {
	ctx := context.Background()
	apply := func(ws ...sink.Write) sink.Result {
		t.Helper()
		res, err := s.Apply(ctx, ws)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	// In-order first delivery, with a key written twice in one batch.
	apply(w("a", 100, "a1"), w("b", 101, "b1"), w("a", 102, "a2"), w("c", 103, "c1"))
	// Duplicate delivery of the same batch (a replay after a crash): nothing changes.
	if res := apply(w("a", 100, "a1"), w("b", 101, "b1"), w("a", 102, "a2"), w("c", 103, "c1")); res.Applied != 0 || res.Stale != 3 {
		t.Fatalf("replay applied %+v, want all 3 keys stale", res)
	}
	// Out-of-order redelivery: an older version arrives after a newer one.
	apply(w("b", 110, "b2"))
	apply(w("b", 105, "b-old"))
	// Delete, then a late older insert: the tombstone keeps it deleted.
	apply(w("c", 120, ""))
	apply(w("c", 103, "c1"), w("c", 115, "c-late"))
	// Delete of a key never seen, then its older insert arrives.
	apply(w("d", 130, ""))
	apply(w("d", 125, "d-old"))
	// A newer insert after a delete brings the item back, as the source did.
	apply(w("e", 140, "e1"), w("e", 141, ""), w("e", 142, "e3"))
	got := read(t)
	want := map[string]string{"a": "a2", "b": "b2", "c": "", "d": "", "e": "e3"}
	for k, wv := range want {
		if got[k] != wv {
			t.Errorf("%s = %q, want %q (all: %v)", k, got[k], wv, got)
		}
	}
}

func TestDynamoDBSinkVersionGuard(t *testing.T) {
	ddb := Tables(t, Target("svc", "id"))
	s, err := sink.OpenDynamoDB(context.Background(), ddb.Client, "svc", nil, 4, stream.Backoff{Initial: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	exercise(t, s, func(t *testing.T) map[string]string {
		out := map[string]string{}
		for _, it := range Scan(t, ddb.Client, "svc") {
			if item.IsTombstone(it) {
				out[item.Str(it, "id")] = ""
				if _, hasVal := it["val"]; hasVal {
					t.Errorf("tombstone %v keeps data", item.PlainMap(it))
				}
				continue
			}
			out[item.Str(it, "id")] = item.Str(it, "val")
		}
		return out
	})
	// Many writes in one batch go out as several parallel transactions.
	var ws []sink.Write
	for i := 0; i < 350; i++ {
		ws = append(ws, w(fmt.Sprint("bulk", i), 1000+i, "x"))
	}
	res, err := s.Apply(context.Background(), ws)
	if err != nil || res.Applied != 350 {
		t.Fatalf("bulk: %+v %v", res, err)
	}
	// A write without the key is permanent (poison), not an outage.
	_, err = s.Apply(context.Background(), []sink.Write{{Item: item.Item{"other": S("x")}, Version: v(1), Ref: "s/1"}})
	if !sink.IsPermanent(err) {
		t.Fatalf("want a permanent error, got %v", err)
	}
}

func TestDynamoDBSinkBatchMode(t *testing.T) {
	ddb := Tables(t, Target("svc", "id"))
	s, err := sink.OpenDynamoDBMode(context.Background(), ddb.Client, "svc", sink.Batch, nil, 4, stream.Backoff{Initial: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	exercise(t, s, func(t *testing.T) map[string]string {
		out := map[string]string{}
		for _, it := range Scan(t, ddb.Client, "svc") {
			if item.IsTombstone(it) {
				out[item.Str(it, "id")] = ""
				continue
			}
			out[item.Str(it, "id")] = item.Str(it, "val")
		}
		return out
	})
	if _, err := sink.OpenDynamoDBMode(context.Background(), ddb.Client, "svc", sink.Batch, &sink.TwoWay{VersionAttribute: "v", TieWinner: "x"}, 1, stream.Backoff{}); err == nil {
		t.Fatal("batch mode accepted a two-way pipeline")
	}
}

func TestPostgresSinkVersionGuard(t *testing.T) {
	pg := testenv.Postgres(t)
	ctx := context.Background()
	s, err := sink.OpenPostgres(ctx, pg.DSN, sink.PostgresTable{Name: "svc", Key: []string{"id"}, Columns: map[string]string{"val": "text", "n": "bigint"}}, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	exercise(t, s, func(t *testing.T) map[string]string {
		rows, err := s.Pool().Query(ctx, "SELECT id, coalesce(val, ''), _carve_deleted FROM svc")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string]string{}
		for rows.Next() {
			var id, val string
			var del bool
			rows.Scan(&id, &val, &del)
			if del && val != "" {
				t.Errorf("tombstone %s keeps %q", id, val)
			}
			out[id] = val
		}
		return out
	})
	var typ string
	s.Pool().QueryRow(ctx, "SELECT data_type || coalesce(numeric_precision::text, '') FROM information_schema.columns WHERE table_name = 'svc' AND column_name = '_carve_seq'").Scan(&typ)
	if typ != "numeric40" {
		t.Fatalf("_carve_seq is %s, want numeric(40,0)", typ)
	}
	// A value that cannot become the column's type is permanent.
	_, err = s.Apply(ctx, []sink.Write{{Item: item.Item{"id": S("z"), "n": S("not a number")}, Version: v(1), Ref: "s/1"}})
	if !sink.IsPermanent(err) {
		t.Fatalf("want a permanent error, got %v", err)
	}
	// Reopening validates the table; a config that disagrees is refused with a clear message.
	_, err = sink.OpenPostgres(ctx, pg.DSN, sink.PostgresTable{Name: "svc", Key: []string{"id"}, Columns: map[string]string{"val": "text", "n": "integer", "extra": "jsonb"}}, 1)
	if err == nil || !strings.Contains(err.Error(), "column n is bigint, the config says integer") || !strings.Contains(err.Error(), "column extra is missing") {
		t.Fatalf("want a mismatch error, got %v", err)
	}
}

func TestTwoWayOwnWriteDetection(t *testing.T) {
	it := item.Item{"id": S("a"), "val": S("x"), "updated_at": N(5), item.Origin: S("shop"), item.Clock: N(5), item.Seq: S(v(1))}
	it[item.Hash] = S(item.HashData(item.Item{"id": S("a"), "val": S("x"), "updated_at": N(5)}))
	if !sink.IsOwnWrite(it, "shop") {
		t.Fatal("sync's own write not recognised")
	}
	// The application updates one attribute and leaves sync's attributes in place.
	it["val"] = S("y")
	if sink.IsOwnWrite(it, "shop") {
		t.Fatal("an application update that kept sync's attributes was taken for sync's own write")
	}
	_ = types.AttributeValueMemberS{}
}

// TestPostgresTombstoneNotNullAndNumbers: a sink table the service created itself, with a NOT NULL
// column, a row sync never wrote (no _carve_seq), a numeric and a double precision column.
// Deletes become tombstones without writing NULL into the required column (with and without the
// deleted item's values), the row without a version is overwritten, numbers keep all 38
// significant digits at any exponent, and verify's fingerprints of a source item and of the row
// it became agree (no false drift on double precision or numeric spelling).
func TestPostgresTombstoneNotNullAndNumbers(t *testing.T) {
	pg := testenv.Postgres(t)
	ctx := context.Background()
	s0, err := sink.OpenPostgres(ctx, pg.DSN, sink.PostgresTable{Name: "probe", Key: []string{"id"}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	pool := s0.Pool()
	defer s0.Close()
	if _, err := pool.Exec(ctx, `CREATE TABLE people (id text PRIMARY KEY, name text NOT NULL, score numeric, ratio double precision,
		_carve_seq numeric(40,0), _carve_deleted boolean NOT NULL DEFAULT false);
		INSERT INTO people (id, name) VALUES ('pre', 'written by the service'), ('keys-only', 'K')`); err != nil {
		t.Fatal(err)
	}
	s, err := sink.OpenPostgres(ctx, pg.DSN, sink.PostgresTable{Name: "people", Key: []string{"id"},
		Columns: map[string]string{"name": "text", "score": "numeric", "ratio": "double precision"}}, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const score = "1.2345678901234567890123456789012345678E-90"
	row := func(id, name string) item.Item {
		return item.Item{"id": S(id), "name": S(name), "score": N(score), "ratio": N("1E+20")}
	}
	apply := func(ws ...sink.Write) {
		t.Helper()
		if _, err := s.Apply(ctx, ws); err != nil {
			t.Fatal(err)
		}
	}
	apply(sink.Write{Item: row("a", "A"), Version: v(1), Ref: "s/1"}, sink.Write{Item: row("pre", "P"), Version: v(2), Ref: "s/2"},
		sink.Write{Item: row("live", "L"), Version: v(3), Ref: "s/3"})
	apply(sink.Write{Item: row("a", "A"), Delete: true, Version: v(4), Ref: "s/4"},
		sink.Write{Item: row("gone", "G"), Delete: true, Version: v(5), Ref: "s/5"}, // a delete of a row the sink never had
		sink.Write{Item: item.Item{"id": S("keys-only")}, Delete: true, Version: v(6), Ref: "s/6"})
	got := map[string]string{}
	rows, err := pool.Query(ctx, "SELECT id, name, coalesce(score::text, ''), _carve_deleted FROM people")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, name, sc string
		var del bool
		if err := rows.Scan(&id, &name, &sc, &del); err != nil {
			t.Fatal(err)
		}
		got[id] = fmt.Sprintf("%s|%s|%v", name, sc, del)
	}
	rows.Close()
	exact := item.NormDecimal(score)
	for id, want := range map[string]string{
		"a": "A||true", "gone": "G||true", "keys-only": "K||true", "pre": "P|" + exact + "|false", "live": "L|" + exact + "|false",
	} {
		if got[id] != want {
			t.Errorf("%s = %q, want %q", id, got[id], want)
		}
	}
	if len(strings.Trim(strings.TrimPrefix(exact, "0."), "0")) != 38 {
		t.Fatalf("NormDecimal(%s) = %s: not 38 significant digits", score, exact)
	}
	// verify: the source item and the row it became fingerprint alike.
	_, want, err := s.Fingerprint(row("live", "L"))
	if err != nil {
		t.Fatal(err)
	}
	var listed string
	if err := s.List(ctx, nil, func(k, h string) {
		if k == "id=live" {
			listed = h
		}
	}); err != nil {
		t.Fatal(err)
	}
	if listed != want {
		t.Fatalf("verify would report live as different: source %s, sink %s", want, listed)
	}
}

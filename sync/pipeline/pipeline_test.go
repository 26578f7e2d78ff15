package pipeline

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/carve-dev/carve/sync/config"
	"github.com/carve-dev/carve/sync/item"
	"github.com/carve-dev/carve/sync/stream"
)

func S(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func N(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }

func TestFilterAndMap(t *testing.T) {
	cfg, err := config.Parse("t.yaml", []byte(`
source: {table: shop}
pipelines:
  - name: orders
    where: {key_prefix: {pk: "ORDER#"}, attribute_equals: {status: open, n: 2}, attribute_exists: [amt]}
    map: {rename: {amt: amount}, drop: [gsi1pk], key: {pk: order_id}}
    sink: {dynamodb: {table: orders}}
`))
	if err != nil {
		t.Fatal(err)
	}
	p := New(cfg.Pipelines[0], "shop")
	match := item.Item{"pk": S("ORDER#1"), "status": S("open"), "n": N("2.0"), "amt": N("5"), "gsi1pk": S("x"), "_carve_seq": S("1")}
	for _, tc := range []struct {
		name string
		rec  stream.Record
		skip Skip
		del  bool
		want item.Item
		err  string
	}{
		{"insert", stream.Record{Event: stream.Insert, New: match, Version: "1"}, NotSkipped, false, item.Item{"order_id": S("ORDER#1"), "status": S("open"), "n": N("2.0"), "amount": N("5")}, ""},
		{"wrong prefix", stream.Record{Event: stream.Insert, New: item.Item{"pk": S("USER#1"), "status": S("open"), "n": N("2"), "amt": N("1")}}, Filtered, false, nil, ""},
		{"missing attr", stream.Record{Event: stream.Insert, New: item.Item{"pk": S("ORDER#1"), "status": S("open"), "n": N("2")}}, Filtered, false, nil, ""},
		{"left selection", stream.Record{Event: stream.Modify, New: item.Item{"pk": S("ORDER#1"), "status": S("closed"), "n": N("2"), "amt": N("5")}, Old: match}, NotSkipped, true, item.Item{"order_id": S("ORDER#1"), "status": S("open"), "n": N("2.0"), "amount": N("5")}, ""},
		// Without the old image (a NEW_IMAGE stream) a delete of a selected key cannot be told
		// from one of an item never selected: an error (dead-lettered), never a silent filter.
		{"delete keys only", stream.Record{Event: stream.Remove, Keys: item.Item{"pk": S("ORDER#9")}}, NotSkipped, false, nil, "without an old image"},
		{"delete keys only, other prefix", stream.Record{Event: stream.Remove, Keys: item.Item{"pk": S("USER#9")}}, Filtered, false, nil, ""},
		{"delete", stream.Record{Event: stream.Remove, Keys: item.Item{"pk": S("ORDER#1")}, Old: match}, NotSkipped, true, item.Item{"order_id": S("ORDER#1"), "status": S("open"), "n": N("2.0"), "amount": N("5")}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, skip, err := p.Write(tc.rec)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want one saying %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if skip != tc.skip || w.Delete != tc.del {
				t.Fatalf("skip=%q delete=%v, want %q %v", skip, w.Delete, tc.skip, tc.del)
			}
			if tc.want != nil && !item.Equal(w.Item, tc.want) {
				t.Fatalf("mapped %v, want %v", item.PlainMap(w.Item), item.PlainMap(tc.want))
			}
		})
	}
}

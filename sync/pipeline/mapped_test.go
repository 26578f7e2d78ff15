package pipeline

import (
	"testing"

	"github.com/carve-dev/carve/sync/config"
	"github.com/carve-dev/carve/sync/item"
)

// SelectsMapped applies the filter to items as the sink holds them, under their mapped names,
// so verify of a sink table shared with other entities counts only the pipeline's items.
func TestSelectsMapped(t *testing.T) {
	cfg, err := config.Parse("t.yaml", []byte(`
source: {table: orders}
pipelines:
  - name: back
    where: {key_prefix: {pk: "ORDER#"}, attribute_exists: [amt]}
    map: {rename: {amt: amount}}
    sink: {dynamodb: {table: shop}}
  - name: dropped
    where: {key_prefix: {pk: "ORDER#"}}
    map: {drop: [pk]}
    sink: {dynamodb: {table: shop2}}
`))
	if err != nil {
		t.Fatal(err)
	}
	back := New(cfg.Pipelines[0], "orders")
	for _, tc := range []struct {
		name string
		it   item.Item
		want bool
	}{
		{"the pipeline's entity", item.Item{"pk": S("ORDER#1"), "amount": N("5")}, true},
		{"another entity of the single table", item.Item{"pk": S("USER#1"), "amount": N("5")}, false},
		{"renamed attribute missing", item.Item{"pk": S("ORDER#1")}, false},
		{"filter read under the source name is not enough", item.Item{"pk": S("ORDER#1"), "amt": N("5")}, false},
	} {
		if got := back.SelectsMapped(tc.it); got != tc.want {
			t.Errorf("%s: SelectsMapped = %v, want %v", tc.name, got, tc.want)
		}
	}
	// The mapping drops the attribute the filter reads: the filter cannot be applied, so every
	// sink item counts (verify then reports what it cannot tell apart, as before).
	if !New(cfg.Pipelines[1], "orders").SelectsMapped(item.Item{"sk": S("META")}) {
		t.Error("a filter on a dropped attribute must keep every sink item")
	}
}

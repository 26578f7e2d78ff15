package signals

import (
	"reflect"
	"testing"

	"github.com/carve-dev/carve/analyze/facts"
)

// A prefix written as the value of a map entry records the attribute it goes to; expression
// placeholders (":pk") are not attributes.
func TestDataKeyAttributes(t *testing.T) {
	f := collect(t, "shop", Data{})
	got := map[string]map[string][]string{}
	for _, u := range f.Tables {
		got[u.Package+" "+u.Table] = u.KeyAttributes
	}
	if a := got["example.com/shop/ordersdb orders"]; !reflect.DeepEqual(a, map[string][]string{"ORDER#": {"pk"}}) {
		t.Errorf("ordersdb orders: key attributes %v, want ORDER# on pk", a)
	}
	if a := got["example.com/shop/cart carts"]; len(a) != 0 {
		t.Errorf("cart carts: key attributes %v, want none (\":pk\" is a placeholder)", a)
	}
}

func TestMergeKeyAttributes(t *testing.T) {
	got := facts.MergeKeyAttributes(nil, map[string][]string{"A#": {"sk"}})
	got = facts.MergeKeyAttributes(got, map[string][]string{"A#": {"pk", "sk"}, "B#": {"pk"}})
	want := map[string][]string{"A#": {"pk", "sk"}, "B#": {"pk"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("merge = %v, want %v", got, want)
	}
	if facts.MergeKeyAttributes(nil, nil) != nil {
		t.Error("merging nothing allocated a map")
	}
}

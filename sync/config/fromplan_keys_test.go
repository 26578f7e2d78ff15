package config

import (
	"strings"
	"testing"
)

// A prefix the plan saw only on another attribute (a sort-key prefix) does not become a filter
// on the key attribute; a prefix whose attribute the plan could not see still does.
func TestGenerateSkipsSortKeyPrefixes(t *testing.T) {
	p := shopPlan(t)
	cart := p.Service("cart")
	if cart == nil {
		t.Fatal("the fixture plan has no cart service")
	}
	gen := func() string {
		b, err := Generate(p, FromPlan{Service: "cart", SourceTable: "shop", Endpoint: "http://127.0.0.1:8000"})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if out := gen(); !strings.Contains(out, `"ITEM#"`) {
		t.Fatalf("without key attributes ITEM# should still be a filter:\n%s", out)
	}
	for i := range cart.Tables {
		if cart.Tables[i].Name == "shop" {
			cart.Tables[i].KeyAttributes = map[string][]string{"CART#": {"pk"}, "ITEM#": {"sk"}}
		}
	}
	out := gen()
	if strings.Contains(out, `pk: "ITEM#"`) {
		t.Errorf("a sort-key prefix became a partition-key filter:\n%s", out)
	}
	if !strings.Contains(out, `pk: "CART#"`) {
		t.Errorf("the partition-key prefix CART# is missing:\n%s", out)
	}
	if _, err := Parse("gen.yaml", []byte(out)); err != nil {
		t.Errorf("the generated config does not validate: %v", err)
	}
}

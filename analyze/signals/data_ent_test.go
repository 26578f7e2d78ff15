package signals

import (
	"go/constant"
	"go/token"
	"go/types"
	"testing"
)

// entTable reads the entity package's string constant Table, and finds nothing without one.
func TestEntTable(t *testing.T) {
	entity := func(path string, val constant.Value) *types.Package {
		p := types.NewPackage(path, "x")
		if val != nil {
			p.Scope().Insert(types.NewConst(token.NoPos, p, "Table", types.Typ[types.UntypedString], val))
		}
		return p
	}
	client := types.NewPackage("example.com/m/ent", "ent")
	client.SetImports([]*types.Package{
		entity("example.com/m/ent/orderitem", constant.MakeString("order_items")),
		entity("example.com/m/ent/user", nil),
		entity("example.com/m/ent/badge", constant.MakeInt64(1)),
		types.NewPackage(entPkg, "ent"),
	})
	for in, want := range map[string]string{"OrderItem": "order_items", "User": "", "Badge": "", "Missing": ""} {
		if got := entTable(client, in); got != want {
			t.Errorf("entTable(%q) = %q, want %q", in, got, want)
		}
	}
	if !isEntClient(client) {
		t.Error("a package importing entgo.io/ent is not an ent client")
	}
	if isEntClient(types.NewPackage("example.com/m/store", "store")) {
		t.Error("a package without ent imports is an ent client")
	}
}

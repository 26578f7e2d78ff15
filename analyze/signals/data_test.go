package signals

import (
	"reflect"
	"testing"

	"github.com/carve-dev/carve/analyze/facts"
)

func TestData(t *testing.T) {
	f := collect(t, "shop", Data{})
	type use struct {
		pkg, table, store string
		access            facts.Access
		prefixes          []string
	}
	got := map[[3]string]facts.TableUse{}
	for _, u := range f.Tables {
		got[[3]string{u.Package, u.Store, u.Table}] = u
	}
	wants := []use{
		// The table name reaches the repo through New's parameter into the field.
		{"ordersdb", "orders", "dynamodb", facts.Write, []string{"ORDER#"}},
		// A config field set from a literal; Query, TransactWrite Delete, BatchWrite keys and the
		// shared wrapper called with a literal.
		{"cart", "carts", "dynamodb", facts.ReadWrite, []string{"CART#"}},
		// A transaction Put naming another package's constant.
		{"cart", "orders", "dynamodb", facts.Write, nil},
		// Through the shared wrapper: the caller owns the table, not the wrapper.
		{"catalog", "products", "dynamodb", facts.Read, nil},
		{"inventory", "stock", "sql", facts.ReadWrite, nil},
		{"inventory", "warehouses", "sql", facts.Read, nil},
		{"payments", "payments", "sql", facts.ReadWrite, nil},
		// A flag's default from env(key, default), through a helper returning a pointer.
		{"shipping", "shipments", "dynamodb", facts.Read, nil},
		// cmp.Or(os.Getenv(...), "shiplog"): the constant fallback.
		{"shipping", "shiplog", "dynamodb", facts.Read, nil},
	}
	for _, w := range wants {
		u, ok := got[[3]string{"example.com/shop/" + w.pkg, w.store, w.table}]
		if !ok {
			t.Errorf("%s %s table %s: missing", w.pkg, w.store, w.table)
			continue
		}
		if u.Access != w.access {
			t.Errorf("%s %s: access %s, want %s", w.pkg, w.table, u.Access, w.access)
		}
		if !reflect.DeepEqual(u.KeyPrefixes, w.prefixes) {
			t.Errorf("%s %s: key prefixes %v, want %v", w.pkg, w.table, u.KeyPrefixes, w.prefixes)
		}
		if len(u.Sites) == 0 {
			t.Errorf("%s %s: no sites", w.pkg, w.table)
		}
	}
	if len(f.Tables) != len(wants) {
		t.Errorf("got %d table uses, want %d: %+v", len(f.Tables), len(wants), f.Tables)
	}
	for _, u := range f.Tables {
		if u.Package == "example.com/shop/platform/store" {
			t.Errorf("the shared wrapper owns table %s", u.Table)
		}
	}
}

func TestParseSQL(t *testing.T) {
	cases := []struct {
		q    string
		want []sqlRef
	}{
		{"SELECT id FROM orders WHERE id = $1", []sqlRef{{"orders", facts.Read}}},
		{"select * from orders o join order_lines l on l.order_id = o.id left join users u using (user_id)",
			[]sqlRef{{"orders", facts.Read}, {"order_lines", facts.Read}, {"users", facts.Read}}},
		{"SELECT a FROM t1 x, t2 AS y, public.t3", []sqlRef{{"t1", facts.Read}, {"t2", facts.Read}, {"public.t3", facts.Read}}},
		{"INSERT INTO payments (id, amount) VALUES ($1, $2)", []sqlRef{{"payments", facts.Write}}},
		{"INSERT INTO archive SELECT * FROM orders", []sqlRef{{"archive", facts.Write}, {"orders", facts.Read}}},
		{"UPDATE stock SET qty = qty - 1 WHERE sku IN (SELECT sku FROM reservations)",
			[]sqlRef{{"stock", facts.Write}, {"reservations", facts.Read}}},
		{"DELETE FROM carts WHERE user_id = $1", []sqlRef{{"carts", facts.Write}}},
		{`SELECT EXTRACT(YEAR FROM created_at) FROM "Orders"`, []sqlRef{{"Orders", facts.Read}}},
		{"WITH recent AS (SELECT * FROM orders) SELECT * FROM recent", []sqlRef{{"orders", facts.Read}}},
		{"SELECT * FROM stock WHERE sku = 'x FROM y' FOR UPDATE", []sqlRef{{"stock", facts.Read}}},
		{"INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO UPDATE SET a = 2", []sqlRef{{"t", facts.Write}}},
		{"SELECT * FROM generate_series(1, 3)", nil},
		{"-- comment\nSELECT 1 FROM /* x */ dual", []sqlRef{{"dual", facts.Read}}},
		{"not sql at all FROM here", nil},
		{"", nil},
	}
	for _, c := range cases {
		got := parseSQL(c.q)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("parseSQL(%q) = %v, want %v", c.q, got, c.want)
		}
	}
}

func FuzzParseSQL(f *testing.F) {
	for _, s := range []string{"SELECT * FROM a JOIN b ON a.x = b.y", "INSERT INTO t VALUES ('a''b')", "UPDATE \"x", "/*", "WITH a AS ("} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		for _, r := range parseSQL(q) {
			if r.table == "" || (r.access != facts.Read && r.access != facts.Write) {
				t.Fatalf("parseSQL(%q): bad ref %+v", q, r)
			}
		}
	})
}

func TestKeyPrefix(t *testing.T) {
	cases := map[string]string{
		"ORDER#": "ORDER#", "ORDER#%s": "ORDER#", "order_line#1": "order_line#", "#pk": "",
		"a b#": "", "1X#": "", "USER": "", "CART2#x#y": "CART2#",
	}
	for in, want := range cases {
		if got := keyPrefix(in); got != want {
			t.Errorf("keyPrefix(%q) = %q, want %q", in, got, want)
		}
	}
}

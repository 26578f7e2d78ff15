package analyze

import (
	"reflect"
	"testing"
)

func TestData(t *testing.T) {
	f := collect(t, "shop", Data{})
	type use struct {
		pkg, table, store string
		access            Access
		prefixes          []string
	}
	got := map[[3]string]TableUse{}
	for _, u := range f.Tables {
		got[[3]string{u.Package, u.Store, u.Table}] = u
	}
	wants := []use{
		// The table name reaches the repo through New's parameter into the field.
		{"ordersdb", "orders", "dynamodb", Write, []string{"ORDER#"}},
		// A config field set from a literal; Query, TransactWrite Delete, BatchWrite keys and the
		// shared wrapper called with a literal.
		{"cart", "carts", "dynamodb", ReadWrite, []string{"CART#"}},
		// A transaction Put naming another package's constant.
		{"cart", "orders", "dynamodb", Write, nil},
		// Through the shared wrapper: the caller owns the table, not the wrapper.
		{"catalog", "products", "dynamodb", Read, nil},
		{"inventory", "stock", "sql", ReadWrite, nil},
		{"inventory", "warehouses", "sql", Read, nil},
		{"payments", "payments", "sql", ReadWrite, nil},
		// A flag's default from env(key, default), through a helper returning a pointer.
		{"shipping", "shipments", "dynamodb", Read, nil},
		// cmp.Or(os.Getenv(...), "shiplog"): the constant fallback.
		{"shipping", "shiplog", "dynamodb", Read, nil},
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
		{"SELECT id FROM orders WHERE id = $1", []sqlRef{{"orders", Read}}},
		{"select * from orders o join order_lines l on l.order_id = o.id left join users u using (user_id)",
			[]sqlRef{{"orders", Read}, {"order_lines", Read}, {"users", Read}}},
		{"SELECT a FROM t1 x, t2 AS y, public.t3", []sqlRef{{"t1", Read}, {"t2", Read}, {"public.t3", Read}}},
		{"INSERT INTO payments (id, amount) VALUES ($1, $2)", []sqlRef{{"payments", Write}}},
		{"INSERT INTO archive SELECT * FROM orders", []sqlRef{{"archive", Write}, {"orders", Read}}},
		{"UPDATE stock SET qty = qty - 1 WHERE sku IN (SELECT sku FROM reservations)",
			[]sqlRef{{"stock", Write}, {"reservations", Read}}},
		{"DELETE FROM carts WHERE user_id = $1", []sqlRef{{"carts", Write}}},
		{`SELECT EXTRACT(YEAR FROM created_at) FROM "Orders"`, []sqlRef{{"Orders", Read}}},
		{"WITH recent AS (SELECT * FROM orders) SELECT * FROM recent", []sqlRef{{"orders", Read}}},
		{"SELECT * FROM stock WHERE sku = 'x FROM y' FOR UPDATE", []sqlRef{{"stock", Read}}},
		{"INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO UPDATE SET a = 2", []sqlRef{{"t", Write}}},
		{"SELECT * FROM generate_series(1, 3)", nil},
		{"-- comment\nSELECT 1 FROM /* x */ dual", []sqlRef{{"dual", Read}}},
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
			if r.table == "" || (r.access != Read && r.access != Write) {
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

package signals

import (
	"fmt"
	"strings"
	"testing"

	"github.com/carve-dev/carve/analyze/facts"
)

// tableWant is one expected table use: package (relative to the fixture module), store,
// table, access and key prefixes.
type tableWant struct {
	pkg, store, table string
	access            facts.Access
	prefixes          string
}

func TestDataLibraryFixtures(t *testing.T) {
	cases := []struct {
		name string
		want []tableWant
	}{
		{"sqlx", []tableWant{
			{"reports", "sql", "orders", facts.Read, ""},
			{"reports", "sql", "orders_archive", facts.Write, ""}, // a built statement's constant start
			{"reports", "sql", "users", facts.Read, ""},
			{"users", "sql", "users", facts.ReadWrite, ""},
		}},
		{"squirrel", []tableWant{
			{"audit", "sql", "audit_log", facts.Write, ""},
			{"orders", "sql", "order_items", facts.Read, ""},
			{"orders", "sql", "orders", facts.ReadWrite, ""},
		}},
		{"goqu", []tableWant{
			{"accounts", "sql", "accounts", facts.ReadWrite, ""},
			{"accounts", "sql", "owners", facts.Read, ""},
			{"ledger", "sql", "ledger_entries", facts.ReadWrite, ""},
		}},
		{"gorm", []tableWant{
			{"billing", "sql", "billing_invoices", facts.ReadWrite, ""},
			{"billing", "sql", "payments", facts.Read, ""}, // db.Raw
			{"billing", "sql", "products", facts.Write, ""},
			{"catalog", "sql", "product_categories", facts.ReadWrite, ""},
			{"catalog", "sql", "products", facts.ReadWrite, ""},
		}},
		{"mongo", []tableWant{
			{"carts", "mongodb", "carts", facts.Write, ""},
			{"stats", "mongodb", "carts", facts.Read, ""},
		}},
		{"redis", []tableWant{
			{"ratelimit", "redis", "redis:rate", facts.Write, "rate:"},
			{"ratelimit", "redis", "redis:session", facts.Read, "session:"},
			{"sessions", "redis", "redis:session", facts.ReadWrite, "session:"},
		}},
		{"ent", []tableWant{
			{"accounts", "sql", "orders", facts.Write, ""},
			{"accounts", "sql", "users", facts.Read, ""},
			{"reports", "sql", "orders", facts.Read, ""},
		}},
		{"sqlc", []tableWant{
			{"db", "sql", "authors", facts.ReadWrite, ""},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := libFixture(t, "data", c.name, Data{})
			prefix := "example.com/" + c.name + "/"
			var got []tableWant
			for _, u := range f.Tables {
				got = append(got, tableWant{strings.TrimPrefix(u.Package, prefix), u.Store, u.Table, u.Access, strings.Join(u.KeyPrefixes, ",")})
				if len(u.Sites) == 0 {
					t.Errorf("%+v: no sites", u)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("tables:\n got %v\nwant %v", got, c.want)
			}
			checkGolden(t, "data", c.name, f.Tables)
		})
	}
}

// A gorm call whose model comes from an earlier call of its chain (db.Find(new(T)).Count(&n)) is
// read, not listed as unresolved.
func TestGormChainModel(t *testing.T) {
	f := libFixture(t, "data", "gorm", Data{})
	for _, u := range f.Coverage.Unresolved {
		if u.Site.File == "catalog/catalog.go" {
			t.Errorf("unresolved gorm call: %+v", u)
		}
	}
}

func TestGormName(t *testing.T) {
	for in, want := range map[string]string{
		"User": "users", "OrderItem": "order_items", "Category": "categories", "Address": "addresses",
		"Box": "boxes", "Person": "people", "HTTPLog": "http_logs", "Day": "days", "Batch": "batches",
	} {
		if got := gormName(in); got != want {
			t.Errorf("gormName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBuilderTable(t *testing.T) {
	for in, want := range map[string]string{
		"orders o": "orders", "order_items i ON i.order_id = o.id": "order_items", "Public.Users": "public.users",
		"": "", "(SELECT 1) x": "",
	} {
		if got := builderTable(in); got != want {
			t.Errorf("builderTable(%q) = %q, want %q", in, got, want)
		}
	}
}

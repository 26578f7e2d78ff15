package render

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carve-dev/carve/analyze/plan"
)

// TestReportGolden renders the brief of the sample shop's plan (written by carve analyze
// samples/shop -o json) and of the small fixture.
func TestReportGolden(t *testing.T) {
	for _, tc := range []struct{ plan, golden string }{
		{"shop.plan.json", "shop.report.md"},
		{"plan.json", "plan.report.md"},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			p, err := plan.ReadFile(filepath.Join("testdata", tc.plan))
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := Report(&buf, p); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", tc.golden)
			if *update {
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got := buf.String(); got != string(want) {
				t.Errorf("report differs from %s (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
			}
		})
	}
}

// TestReportShopFacts checks what the brief must say about the shop's orders, independently
// of the golden file: its routes, the shared table and its other writers, the calls into
// users, inventory and cart with their sites, and that no service anyone calls comes first.
func TestReportShopFacts(t *testing.T) {
	p, err := plan.ReadFile(filepath.Join("testdata", "shop.plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Report(&buf, p); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	orders := out[strings.Index(out, "\n## orders\n"):]
	orders = orders[:strings.Index(orders[1:], "\n## ")+1]
	for _, want := range []string{
		"| POST | `/orders` |", "| GET | `/orders/{id}` |", "| POST | `/orders/{id}/cancel` |", "| GET | `/users/{id}/orders` |",
		"| shop | dynamodb | readwrite | `ORDER#`, `USER#` | cart (readwrite), users (readwrite) |",
		"`shop` (dynamodb): also written by cart, users",
		"`orders/api` (orders) | `users/store` (users) | 1 | orders/api/api.go:57 |",
		"`orders/api` (orders) | `inventory/store` (inventory) | 2 | orders/api/api.go:121, orders/api/api.go:134 |",
		"`orders/api` (orders) | `cart` (cart) |",
	} {
		if !strings.Contains(orders, want) {
			t.Errorf("orders brief lacks %q:\n%s", want, orders)
		}
	}
	order := ExtractionOrder(p)
	for i := 1; i < len(order); i++ {
		if order[i-1].Callers > order[i].Callers {
			t.Errorf("order: %s (%d callers) before %s (%d callers)", order[i-1].Service, order[i-1].Callers, order[i].Service, order[i].Callers)
		}
	}
	if strings.Count(out, "\n## ") != len(p.Services)+1 {
		t.Errorf("want one section per service plus the order, got %d", strings.Count(out, "\n## "))
	}
}

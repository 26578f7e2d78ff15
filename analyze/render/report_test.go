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
		"- `shop` (dynamodb), shared with cart, users:\n  - cart writes `CART#`, `ITEM#`\n  - orders (this service) writes `ORDER#`, `USER#`\n  - users writes `EMAIL#`, `USER#`\n",
		"written by more than one service: `USER#` (orders, users)",
		"`carve plan sync --service orders --source-table shop`",
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

// TestReportBrief checks the brief's wording and its facts on the small fixture: lines per
// service, the real table in the sync command, who writes which entity, event contracts, and
// English (no "users's", no "1 calls", no "read by no other service").
func TestReportBrief(t *testing.T) {
	p, err := plan.ReadFile(filepath.Join("testdata", "plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Report(&buf, p); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"| 1 | orders | 200 | 0 | 0 | 3 | 2 | shop |", // lines: orders 120 + orders/store 80
		"Packages (200 lines of Go): `orders`, `orders/store`.",
		"Packages (60 lines of Go): `users`.",
		"`carve plan sync --service orders --source-table shop` writes the sync config for the DynamoDB table.",
		"  - orders (this service) writes `ORDER#`\n  - only read by users\n",
		"  - orders writes `ORDER#`\n  - only read by users (this service)\n",
		"| consumes | `user.created` | nats | published by users |",
		"| publishes | `user.created` | nats | consumed by orders |",
		"each caller needs users' API",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("brief lacks %q:\n%s", want, out)
		}
	}
	for _, bad := range []string{"users's", "1 calls", "no other service", "TABLE"} {
		if strings.Contains(out, bad) {
			t.Errorf("brief says %q", bad)
		}
	}
	// Events are contracts, never network calls.
	calls := out[strings.Index(out, "## users"):]
	calls = calls[strings.Index(calls, "### Calls that become network calls"):]
	if strings.Contains(calls, "user.created") {
		t.Errorf("an event is listed as a call:\n%s", calls)
	}
}

func TestPossessive(t *testing.T) {
	for in, want := range map[string]string{"users": "users'", "cart": "cart's", "payments": "payments'"} {
		if got := possessive(in); got != want {
			t.Errorf("possessive(%q) = %q, want %q", in, got, want)
		}
	}
}

package config

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carve-dev/carve/analyze/plan"
	"github.com/carve-dev/carve/sync/sink"
)

func shopPlan(t *testing.T) *plan.Plan {
	t.Helper()
	p, err := plan.ReadFile(filepath.Join("..", "..", "analyze", "render", "testdata", "shop.plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestGenerateFromPlan checks the configs for the sample shop's services: the single table
// split by the prefixes each service owns, per-domain tables copied whole, both directions.
func TestGenerateFromPlan(t *testing.T) {
	p := shopPlan(t)
	type pipe struct{ name, prefix, sink string }
	for _, tc := range []struct {
		name     string
		o        FromPlan
		source   string
		pipes    []pipe
		bothWays bool
	}{
		{"orders", FromPlan{Service: "orders", SourceTable: "shop"}, "shop", []pipe{{"orders", "ORDER#", "orders"}}, false},
		{"orders default table", FromPlan{Service: "orders"}, "shop", []pipe{{"orders", "ORDER#", "orders"}}, false},
		{"orders back", FromPlan{Service: "orders", Reverse: true, VersionAttribute: "updated_at"}, "orders", []pipe{{"orders-reverse", "ORDER#", "shop"}}, true},
		{"users", FromPlan{Service: "users", TargetTable: "accounts"}, "shop", []pipe{{"users-email", "EMAIL#", "accounts"}, {"users-user", "USER#", "accounts"}}, false},
		{"cart", FromPlan{Service: "cart", KeyPrefixes: []string{"CART#"}}, "shop", []pipe{{"cart", "CART#", "cart"}}, false},
		{"inventory", FromPlan{Service: "inventory", TargetTable: "stock"}, "inventory", []pipe{{"inventory", "", "stock"}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.o.Endpoint = "http://127.0.0.1:8000"
			b, err := Generate(p, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			c, err := Parse("gen.yaml", b)
			if err != nil {
				t.Fatalf("%v\n%s", err, b)
			}
			if c.Source.Table != tc.source || c.Source.Endpoint != "http://127.0.0.1:8000" {
				t.Errorf("source = %+v, want table %s on the endpoint", c.Source, tc.source)
			}
			if len(c.Pipelines) != len(tc.pipes) {
				t.Fatalf("pipelines = %d, want %d:\n%s", len(c.Pipelines), len(tc.pipes), b)
			}
			for i, want := range tc.pipes {
				got := c.Pipelines[i]
				if got.Name != want.name || got.Where.KeyPrefix["pk"] != want.prefix || got.Sink.Kind != "dynamodb" || got.Sink.Config.(*sink.DynamoDBConfig).Table != want.sink {
					t.Errorf("pipeline %d = %+v, want %+v", i, got, want)
				}
				if want.prefix == "" && len(got.Where.KeyPrefix) != 0 {
					t.Errorf("pipeline %d filters %v, want every item", i, got.Where.KeyPrefix)
				}
				if (got.BothWays != nil) != tc.bothWays {
					t.Errorf("pipeline %d both_ways = %+v, want set %v", i, got.BothWays, tc.bothWays)
				}
				if got.BothWays != nil && (got.BothWays.VersionAttribute != "updated_at" || got.BothWays.TieWinner != "shop") {
					t.Errorf("both_ways = %+v", got.BothWays)
				}
			}
		})
	}
}

func TestGenerateFromPlanBadInput(t *testing.T) {
	p := shopPlan(t)
	for _, tc := range []struct {
		o   FromPlan
		is  error
		msg string
	}{
		{FromPlan{Service: "billing"}, ErrUnknownService, `unknown service "billing": the plan has cart, catalog,`},
		{FromPlan{Service: "orders", SourceTable: "payments"}, nil, `table "payments" is not one of service "orders"'s tables in the plan: use one of shop`},
		{FromPlan{Service: "orders", TargetTable: "shop"}, nil, `target table "shop" is the source table`},
	} {
		_, err := Generate(p, tc.o)
		if err == nil || !strings.Contains(err.Error(), tc.msg) || (tc.is != nil && !errors.Is(err, tc.is)) {
			t.Errorf("%+v: error %v, want %q", tc.o, err, tc.msg)
		}
	}
	noTables := *p
	noTables.Services = []plan.Service{{Name: "edge"}}
	if _, err := Generate(&noTables, FromPlan{Service: "edge"}); !errors.Is(err, ErrNoTables) {
		t.Errorf("service without tables: %v", err)
	}
}

func TestOwnedPrefixes(t *testing.T) {
	p := shopPlan(t)
	for svc, want := range map[string]string{"orders": "ORDER#", "users": "EMAIL#,USER#", "cart": "CART#,ITEM#"} {
		if got := strings.Join(OwnedPrefixes(p, svc, "shop"), ","); got != want {
			t.Errorf("%s owns %s, want %s", svc, got, want)
		}
	}
}

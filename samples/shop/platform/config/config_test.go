package config

import (
	"strings"
	"testing"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestDefaults(t *testing.T) {
	c, err := Load(nil, envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":8080" || c.Region != "us-east-1" || c.Tables.Shop != "shop" || c.Tables.Catalog != "catalog" {
		t.Errorf("defaults = %+v", c)
	}
	if c.CreateTables || c.DynamoDBEndpoint != "" {
		t.Errorf("defaults should target AWS without creating tables: %+v", c)
	}
}

func TestFlagsOverrideEnv(t *testing.T) {
	env := envOf(map[string]string{
		"SHOP_ADDR":              ":9000",
		"SHOP_DYNAMODB_ENDPOINT": "http://127.0.0.1:8000",
		"SHOP_CREATE_TABLES":     "yes",
		"SHOP_TABLE_SHOP":        "shop-env",
	})
	c, err := Load([]string{"-addr", "127.0.0.1:8081", "-table-shop", "shop-flag"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8081" || c.Tables.Shop != "shop-flag" {
		t.Errorf("flags did not win: %+v", c)
	}
	if c.DynamoDBEndpoint != "http://127.0.0.1:8000" || !c.CreateTables {
		t.Errorf("env not applied: %+v", c)
	}
}

func TestInvalid(t *testing.T) {
	for name, args := range map[string][]string{
		"endpoint":   {"-dynamodb-endpoint", "127.0.0.1:8000"},
		"log format": {"-log-format", "xml"},
		"same table": {"-table-catalog", "shop"},
		"stray arg":  {"extra"},
	} {
		if _, err := Load(args, envOf(nil)); err == nil {
			t.Errorf("%s: want error", name)
		}
	}
	_, err := Load(nil, envOf(map[string]string{"SHOP_CREATE_TABLES": "maybe"}))
	if err == nil || !strings.Contains(err.Error(), "SHOP_CREATE_TABLES") {
		t.Errorf("bad bool env: err = %v", err)
	}
}

func TestEnvOverridesDefaults(t *testing.T) {
	c, err := Load(nil, envOf(map[string]string{
		"AWS_REGION":              "eu-west-3",
		"SHOP_SEED":               "1",
		"SHOP_SHUTDOWN_TIMEOUT":   "3s",
		"SHOP_FREE_SHIPPING_OVER": "0",
		"SHOP_TABLE_PAYMENTS":     "pay",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Region != "eu-west-3" || !c.Seed || c.ShutdownTimeout.String() != "3s" || c.FreeShippingOver != 0 || c.Tables.Payments != "pay" {
		t.Errorf("config = %+v", c)
	}
	if _, err := Load(nil, envOf(map[string]string{"SHOP_SHUTDOWN_TIMEOUT": "soon", "SHOP_FREE_SHIPPING_OVER": "x"})); err == nil ||
		!strings.Contains(err.Error(), "SHOP_SHUTDOWN_TIMEOUT") || !strings.Contains(err.Error(), "SHOP_FREE_SHIPPING_OVER") {
		t.Errorf("bad env: err = %v", err)
	}
}

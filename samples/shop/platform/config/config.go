// Package config reads the shop's settings from command-line flags, with environment variables
// (SHOP_*) as defaults, so the same binary runs on a laptop against DynamoDB Local and in AWS.
package config

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Default table names. The shared single-table design lives in "shop"; some domains own tables
// of their own.
const (
	DefaultShopTable      = "shop"
	DefaultCatalogTable   = "catalog"
	DefaultInventoryTable = "inventory"
	DefaultPaymentsTable  = "payments"
	DefaultShipmentsTable = "shipments"
)

// Tables names the DynamoDB tables the shop uses.
type Tables struct {
	Shop      string // single table: users, carts, orders
	Catalog   string
	Inventory string
	Payments  string
	Shipments string
}

// Config is everything main needs to start the shop.
type Config struct {
	Addr             string        // listen address, e.g. ":8080"
	DynamoDBEndpoint string        // e.g. http://127.0.0.1:8000 for DynamoDB Local; empty for AWS
	Region           string        // AWS region
	CreateTables     bool          // create missing tables (with streams) at start
	Seed             bool          // write demo products and stock at start
	LogLevel         string        // debug, info, warn, error
	LogFormat        string        // text or json
	ShutdownTimeout  time.Duration // how long in-flight requests get on SIGTERM
	FreeShippingOver int64         // cents; orders at or above ship free
	Tables           Tables
}

// Load parses args (without the program name) with environment defaults read through getenv.
func Load(args []string, getenv func(string) string) (Config, error) {
	env := func(key, def string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return def
	}
	var c Config
	fs := flag.NewFlagSet("shop", flag.ContinueOnError)
	fs.StringVar(&c.Addr, "addr", env("SHOP_ADDR", ":8080"), "listen address (SHOP_ADDR)")
	fs.StringVar(&c.DynamoDBEndpoint, "dynamodb-endpoint", env("SHOP_DYNAMODB_ENDPOINT", ""), "DynamoDB endpoint URL, e.g. http://127.0.0.1:8000 for DynamoDB Local (SHOP_DYNAMODB_ENDPOINT)")
	fs.StringVar(&c.Region, "region", env("SHOP_REGION", env("AWS_REGION", "us-east-1")), "AWS region (SHOP_REGION, AWS_REGION)")
	createDef, err := parseBool(env("SHOP_CREATE_TABLES", "false"))
	if err != nil {
		return Config{}, fmt.Errorf("config: SHOP_CREATE_TABLES: %w", err)
	}
	fs.BoolVar(&c.CreateTables, "create-tables", createDef, "create missing tables with DynamoDB Streams enabled (SHOP_CREATE_TABLES)")
	seedDef, err := parseBool(env("SHOP_SEED", "false"))
	if err != nil {
		return Config{}, fmt.Errorf("config: SHOP_SEED: %w", err)
	}
	fs.BoolVar(&c.Seed, "seed", seedDef, "write demo products and stock levels at start (SHOP_SEED)")
	fs.StringVar(&c.LogLevel, "log-level", env("SHOP_LOG_LEVEL", "info"), "log level: debug, info, warn, error (SHOP_LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", env("SHOP_LOG_FORMAT", "text"), "log format: text or json (SHOP_LOG_FORMAT)")
	shutdown, err := time.ParseDuration(env("SHOP_SHUTDOWN_TIMEOUT", "10s"))
	if err != nil {
		return Config{}, fmt.Errorf("config: SHOP_SHUTDOWN_TIMEOUT: %w", err)
	}
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", shutdown, "grace period for in-flight requests (SHOP_SHUTDOWN_TIMEOUT)")
	freeOver, err := strconv.ParseInt(env("SHOP_FREE_SHIPPING_OVER", "5000"), 10, 64)
	if err != nil {
		return Config{}, fmt.Errorf("config: SHOP_FREE_SHIPPING_OVER: %w", err)
	}
	fs.Int64Var(&c.FreeShippingOver, "free-shipping-over", freeOver, "order subtotal in cents from which shipping is free (SHOP_FREE_SHIPPING_OVER)")
	fs.StringVar(&c.Tables.Shop, "table-shop", env("SHOP_TABLE_SHOP", DefaultShopTable), "single table for users, carts and orders (SHOP_TABLE_SHOP)")
	fs.StringVar(&c.Tables.Catalog, "table-catalog", env("SHOP_TABLE_CATALOG", DefaultCatalogTable), "catalog table (SHOP_TABLE_CATALOG)")
	fs.StringVar(&c.Tables.Inventory, "table-inventory", env("SHOP_TABLE_INVENTORY", DefaultInventoryTable), "inventory table (SHOP_TABLE_INVENTORY)")
	fs.StringVar(&c.Tables.Payments, "table-payments", env("SHOP_TABLE_PAYMENTS", DefaultPaymentsTable), "payments table (SHOP_TABLE_PAYMENTS)")
	fs.StringVar(&c.Tables.Shipments, "table-shipments", env("SHOP_TABLE_SHIPMENTS", DefaultShipmentsTable), "shipments table (SHOP_TABLE_SHIPMENTS)")
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("config: unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	return c, c.Validate()
}

// Validate checks the settings that flags alone cannot.
func (c Config) Validate() error {
	var errs []error
	if c.Addr == "" {
		errs = append(errs, errors.New("config: -addr is empty"))
	}
	if c.Region == "" {
		errs = append(errs, errors.New("config: -region is empty"))
	}
	if c.DynamoDBEndpoint != "" && !strings.HasPrefix(c.DynamoDBEndpoint, "http://") && !strings.HasPrefix(c.DynamoDBEndpoint, "https://") {
		errs = append(errs, fmt.Errorf("config: -dynamodb-endpoint %q is not an http(s) URL", c.DynamoDBEndpoint))
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("config: -log-format %q: want text or json", c.LogFormat))
	}
	if c.FreeShippingOver < 0 {
		errs = append(errs, errors.New("config: -free-shipping-over is negative"))
	}
	names := map[string]string{}
	for flagName, table := range map[string]string{
		"table-shop": c.Tables.Shop, "table-catalog": c.Tables.Catalog, "table-inventory": c.Tables.Inventory,
		"table-payments": c.Tables.Payments, "table-shipments": c.Tables.Shipments,
	} {
		if table == "" {
			errs = append(errs, fmt.Errorf("config: -%s is empty", flagName))
			continue
		}
		if other, dup := names[table]; dup {
			errs = append(errs, fmt.Errorf("config: -%s and -%s name the same table %q", flagName, other, table))
		}
		names[table] = flagName
	}
	return errors.Join(errs...)
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "1", "true", "yes", "on":
		return true, nil
	case "", "0", "false", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean", s)
}

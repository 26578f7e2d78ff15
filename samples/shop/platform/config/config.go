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

// Defaults returns the configuration used where neither the environment nor a flag says
// otherwise.
func Defaults() Config {
	return Config{
		Addr:             ":8080",
		Region:           "us-east-1",
		LogLevel:         "info",
		LogFormat:        "text",
		ShutdownTimeout:  10 * time.Second,
		FreeShippingOver: 5000,
		Tables: Tables{
			Shop:      DefaultShopTable,
			Catalog:   DefaultCatalogTable,
			Inventory: DefaultInventoryTable,
			Payments:  DefaultPaymentsTable,
			Shipments: DefaultShipmentsTable,
		},
	}
}

// Load starts from Defaults, applies the SHOP_* environment read through getenv, then parses
// args (without the program name), and validates the result.
func Load(args []string, getenv func(string) string) (Config, error) {
	c := Defaults()
	if err := c.applyEnv(getenv); err != nil {
		return Config{}, err
	}
	fs := flag.NewFlagSet("shop", flag.ContinueOnError)
	fs.StringVar(&c.Addr, "addr", c.Addr, "listen address (SHOP_ADDR)")
	fs.StringVar(&c.DynamoDBEndpoint, "dynamodb-endpoint", c.DynamoDBEndpoint, "DynamoDB endpoint URL, e.g. http://127.0.0.1:8000 for DynamoDB Local (SHOP_DYNAMODB_ENDPOINT)")
	fs.StringVar(&c.Region, "region", c.Region, "AWS region (SHOP_REGION, AWS_REGION)")
	fs.BoolVar(&c.CreateTables, "create-tables", c.CreateTables, "create missing tables with DynamoDB Streams enabled (SHOP_CREATE_TABLES)")
	fs.BoolVar(&c.Seed, "seed", c.Seed, "write demo products and stock levels at start (SHOP_SEED)")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "log level: debug, info, warn, error (SHOP_LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "log format: text or json (SHOP_LOG_FORMAT)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.ShutdownTimeout, "grace period for in-flight requests (SHOP_SHUTDOWN_TIMEOUT)")
	fs.Int64Var(&c.FreeShippingOver, "free-shipping-over", c.FreeShippingOver, "order subtotal in cents from which shipping is free (SHOP_FREE_SHIPPING_OVER)")
	fs.StringVar(&c.Tables.Shop, "table-shop", c.Tables.Shop, "single table for users, carts and orders (SHOP_TABLE_SHOP)")
	fs.StringVar(&c.Tables.Catalog, "table-catalog", c.Tables.Catalog, "catalog table (SHOP_TABLE_CATALOG)")
	fs.StringVar(&c.Tables.Inventory, "table-inventory", c.Tables.Inventory, "inventory table (SHOP_TABLE_INVENTORY)")
	fs.StringVar(&c.Tables.Payments, "table-payments", c.Tables.Payments, "payments table (SHOP_TABLE_PAYMENTS)")
	fs.StringVar(&c.Tables.Shipments, "table-shipments", c.Tables.Shipments, "shipments table (SHOP_TABLE_SHIPMENTS)")
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("config: unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	return c, c.Validate()
}

// applyEnv overrides c with the SHOP_* variables that are set.
func (c *Config) applyEnv(getenv func(string) string) error {
	str := func(dst *string, keys ...string) {
		for _, k := range keys {
			if v := getenv(k); v != "" {
				*dst = v
				return
			}
		}
	}
	str(&c.Addr, "SHOP_ADDR")
	str(&c.DynamoDBEndpoint, "SHOP_DYNAMODB_ENDPOINT")
	str(&c.Region, "SHOP_REGION", "AWS_REGION")
	str(&c.LogLevel, "SHOP_LOG_LEVEL")
	str(&c.LogFormat, "SHOP_LOG_FORMAT")
	str(&c.Tables.Shop, "SHOP_TABLE_SHOP")
	str(&c.Tables.Catalog, "SHOP_TABLE_CATALOG")
	str(&c.Tables.Inventory, "SHOP_TABLE_INVENTORY")
	str(&c.Tables.Payments, "SHOP_TABLE_PAYMENTS")
	str(&c.Tables.Shipments, "SHOP_TABLE_SHIPMENTS")

	var errs []error
	for key, dst := range map[string]*bool{"SHOP_CREATE_TABLES": &c.CreateTables, "SHOP_SEED": &c.Seed} {
		if v := getenv(key); v != "" {
			b, err := parseBool(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("config: %s: %w", key, err))
			}
			*dst = b
		}
	}
	if v := getenv("SHOP_SHUTDOWN_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("config: SHOP_SHUTDOWN_TIMEOUT: %w", err))
		}
		c.ShutdownTimeout = d
	}
	if v := getenv("SHOP_FREE_SHIPPING_OVER"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("config: SHOP_FREE_SHIPPING_OVER: %w", err))
		}
		c.FreeShippingOver = n
	}
	return errors.Join(errs...)
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

// Package shipping names its tables through flags, environment defaults and helpers.
package shipping

import (
	"cmp"
	"context"
	"flag"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Config names the shipments table.
type Config struct{ Table string }

func env(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// FromFlags reads the configuration from flags, with defaults from the environment.
func FromFlags(fs *flag.FlagSet) *Config {
	c := &Config{}
	fs.StringVar(&c.Table, "table", env("SHIP_TABLE", "shipments"), "shipments table")
	return c
}

func ptr(s string) *string { return &s }

// Store reads shipments.
type Store struct {
	cfg *Config
	db  *dynamodb.Client
}

// Get reads a shipment.
func (s *Store) Get(ctx context.Context) error {
	_, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: ptr(s.cfg.Table)})
	return err
}

// Log scans the shipping log.
func (s *Store) Log(ctx context.Context) error {
	_, err := s.db.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(cmp.Or(os.Getenv("LOG_TABLE"), "shiplog"))})
	return err
}

// Setup creates a table: administration, not data access.
func (s *Store) Setup(ctx context.Context) error {
	_, err := s.db.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String("admin_only")})
	return err
}

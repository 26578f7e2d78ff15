// Command shop-orders runs the orders service extracted from the shop monolith: the orders API
// over its own DynamoDB table, calling the monolith over HTTP for customers, stock, prices,
// carts and shipping quotes. Against DynamoDB Local and a monolith on :9000:
//
//	go run ./cmd/shop-orders -dynamodb-endpoint http://127.0.0.1:8000 -create-table \
//	    -monolith http://127.0.0.1:9000 -addr 127.0.0.1:9100
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"example.com/shop-orders/api"
	"example.com/shop-orders/fault"
	"example.com/shop-orders/monolith"
	"example.com/shop-orders/orders"
	"example.com/shop-orders/payments"
	"example.com/shop-orders/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "shop-orders:", err)
		stop()
		os.Exit(1)
	}
}

type options struct {
	addr, endpoint, region, table, monolith string
	createTable                             bool
	shutdown                                time.Duration
	logFormat                               string
	faultRate                               float64
	faultField                              string
}

func run(ctx context.Context, args []string, stderr io.Writer) error {
	var o options
	fs := flag.NewFlagSet("shop-orders", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:9100", "listen address")
	fs.StringVar(&o.endpoint, "dynamodb-endpoint", "", "DynamoDB endpoint, e.g. http://127.0.0.1:8000 (default: AWS)")
	fs.StringVar(&o.region, "region", "us-east-1", "AWS region")
	fs.StringVar(&o.table, "table", "orders", "the service's orders table")
	fs.BoolVar(&o.createTable, "create-table", false, "create the table (with a stream) if missing")
	fs.StringVar(&o.monolith, "monolith", "http://127.0.0.1:8080", "base URL of the shop monolith")
	fs.DurationVar(&o.shutdown, "shutdown-timeout", 10*time.Second, "grace period on SIGINT/SIGTERM")
	fs.StringVar(&o.logFormat, "log-format", "text", "text or json")
	fs.Float64Var(&o.faultRate, "fault-rate", 0, "a faulty build for rollout drills: answer this fraction of requests 500")
	fs.StringVar(&o.faultField, "fault-field", "", "a faulty build for rollout drills: `NAME=VALUE` sets every JSON member NAME of the answers to VALUE, e.g. currency=USD")
	if err := fs.Parse(args); err != nil {
		return err
	}
	faults := fault.Faults{Rate: o.faultRate}
	if o.faultField != "" {
		var err error
		if faults.Field, faults.Value, err = fault.ParseField(o.faultField); err != nil {
			return fmt.Errorf("-fault-field: %w", err)
		}
	}
	if err := faults.Check(); err != nil {
		return fmt.Errorf("-fault-rate: %w", err)
	}
	var h slog.Handler = slog.NewTextHandler(stderr, nil)
	if o.logFormat == "json" {
		h = slog.NewJSONHandler(stderr, nil)
	}
	log := slog.New(h)

	db, err := newDynamoDB(ctx, o.endpoint, o.region)
	if err != nil {
		return err
	}
	if o.createTable {
		if err := store.CreateTable(ctx, db, o.table); err != nil {
			return err
		}
	}
	mono, err := monolith.New(o.monolith)
	if err != nil {
		return err
	}
	svc := &orders.Service{
		Repo: &store.Repo{DB: db, Table: o.table}, Users: mono, Stock: mono, Catalog: mono, Carts: mono,
		Shipping: mono, Payments: payments.Simulator{}, Log: log,
	}
	handler := &api.Handler{Svc: svc, Log: log, Health: func(ctx context.Context) error {
		_, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(o.table)})
		return err
	}}

	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", o.addr, err)
	}
	if faults.On() {
		log.Warn("FAULTY BUILD: faults injected on purpose", "faults", faults.String())
	}
	srv := &http.Server{Handler: fault.Wrap(handler.Routes(), faults), ReadHeaderTimeout: 5 * time.Second, ErrorLog: slog.NewLogLogger(h, slog.LevelWarn)}
	log.InfoContext(ctx, "shop-orders listening", "addr", ln.Addr().String(), "table", o.table, "monolith", o.monolith)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "grace", o.shutdown)
	sctx, cancel := context.WithTimeout(context.Background(), o.shutdown)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// newDynamoDB returns a client for AWS or, with an endpoint, DynamoDB Local (dummy credentials
// when none are set).
func newDynamoDB(ctx context.Context, endpoint, region string) (*dynamodb.Client, error) {
	opts := []func(*config.LoadOptions) error{config.WithRegion(region)}
	if endpoint != "" && os.Getenv("AWS_ACCESS_KEY_ID") == "" {
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("local", "local", "")))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("loading AWS config: %w", err)
	}
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
			o.DisableValidateResponseChecksum = true
		}
	}), nil
}

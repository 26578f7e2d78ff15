// Command shop runs the shop monolith: every domain in one process, one HTTP server, data in
// DynamoDB. Against DynamoDB Local:
//
//	go run ./cmd/shop -dynamodb-endpoint http://127.0.0.1:8000 -create-tables -seed
//
// Flags can also be given as SHOP_* environment variables; see -help.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"example.com/shop/cart"
	"example.com/shop/catalog"
	"example.com/shop/inventory"
	invstore "example.com/shop/inventory/store"
	"example.com/shop/notifications"
	"example.com/shop/notifications/email"
	"example.com/shop/orders"
	ordersapi "example.com/shop/orders/api"
	orderevents "example.com/shop/orders/events"
	orderstore "example.com/shop/orders/store"
	"example.com/shop/payments"
	"example.com/shop/payments/gateway"
	paystore "example.com/shop/payments/store"
	"example.com/shop/platform/config"
	"example.com/shop/platform/dynamo"
	"example.com/shop/platform/events"
	"example.com/shop/platform/ids"
	"example.com/shop/platform/logging"
	"example.com/shop/server"
	"example.com/shop/shipping"
	"example.com/shop/users"
	userstore "example.com/shop/users/store"
)

// The e-mail adapter implements the payments port without importing payments; this is where
// the two meet.
var _ payments.Notifier = (*email.PaymentMailer)(nil)

// So does the notifications service for the inventory's low-stock port.
var _ inventory.LowStockAlerter = (*notifications.Service)(nil)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "shop:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string) error {
	cfg, err := config.Load(args, getenv)
	if err != nil {
		return err
	}
	log, err := logging.New(os.Stderr, cfg.LogLevel, cfg.LogFormat)
	if err != nil {
		return err
	}
	slog.SetDefault(log)
	shipping.FreeShippingOver = cfg.FreeShippingOver

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	db, err := dynamo.New(ctx, dynamo.Options{Endpoint: cfg.DynamoDBEndpoint, Region: cfg.Region})
	if err != nil {
		return err
	}
	if cfg.CreateTables {
		err := dynamo.EnsureTables(ctx, db, log,
			dynamo.SingleTable(cfg.Tables.Shop),
			catalog.TableSpec(cfg.Tables.Catalog),
			invstore.Spec(cfg.Tables.Inventory),
			paystore.Spec(cfg.Tables.Payments),
			shipping.TableSpec(cfg.Tables.Shipments),
			notifications.TableSpec(),
		)
		if err != nil {
			return err
		}
	}

	app := wire(cfg, db, log)
	if cfg.Seed {
		if err := seed(ctx, app); err != nil {
			return err
		}
		log.InfoContext(ctx, "seeded demo products and stock")
	}

	handler := server.New(log, app.handlers, func(ctx context.Context) error {
		_, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(cfg.Tables.Shop)})
		return err
	})
	srv := &http.Server{Addr: cfg.Addr, Handler: handler, ReadHeaderTimeout: 5 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.Addr, err)
	}
	log.InfoContext(ctx, "shop listening", "addr", ln.Addr().String(), "dynamodb", endpointName(cfg), "region", cfg.Region)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "grace", cfg.ShutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func endpointName(cfg config.Config) string {
	if cfg.DynamoDBEndpoint == "" {
		return "aws"
	}
	return cfg.DynamoDBEndpoint
}

// app is the wired monolith.
type app struct {
	handlers server.Handlers
	catalog  *catalog.Service
	stock    *invstore.Repo
}

// wire connects every domain: stores on their tables, services on their ports, event
// subscriptions between domains.
func wire(cfg config.Config, db *dynamodb.Client, log *slog.Logger) *app {
	clock, idgen := ids.SystemClock{}, ids.Random{}
	bus := events.NewBus(log)

	userRepo := &userstore.Repo{DB: db, Table: cfg.Tables.Shop}
	stockRepo := &invstore.Repo{DB: db, Table: cfg.Tables.Inventory}
	cartStore := &cart.Store{DB: db, Table: cfg.Tables.Shop}

	notifySvc := &notifications.Service{
		Log: &notifications.Store{DB: db}, Sender: notifications.LogSender{Log: log},
		Directory: userRepo, IDs: idgen, Clock: clock, OpsEmail: "ops@shop.example",
	}
	catalogSvc := &catalog.Service{Repo: &catalog.Store{DB: db, Table: cfg.Tables.Catalog}, Clock: clock}
	inventorySvc := &inventory.Service{Repo: stockRepo, Clock: clock, Threshold: 5, Alerter: notifySvc}
	cartSvc := &cart.Service{Repo: cartStore, Products: catalogSvc, Clock: clock}
	usersSvc := &users.Service{Repo: userRepo, IDs: idgen, Clock: clock}
	paymentsSvc := &payments.Service{
		Repo:     &paystore.Repo{DB: db, Table: cfg.Tables.Payments},
		Gateway:  gateway.Retrying{Next: gateway.NewSimulator(), Attempts: 3},
		Notifier: &email.PaymentMailer{Notifications: notifySvc},
		IDs:      idgen, Clock: clock,
	}
	shippingSvc := &shipping.Service{Repo: &shipping.Store{DB: db, Table: cfg.Tables.Shipments}, Events: bus, Clock: clock, Carrier: "colis"}
	ordersSvc := &orders.Service{
		Repo: &orderstore.Repo{DB: db, Table: cfg.Tables.Shop}, Catalog: catalogSvc, Payments: paymentsSvc,
		Events: bus, IDs: idgen, Clock: clock,
	}

	bus.Subscribe(orderevents.TopicOrderPlaced, "shipping", events.Typed(shippingSvc.OnOrderPlaced))
	bus.Subscribe(orderevents.TopicOrderPlaced, "notifications", events.Typed(notifySvc.OnOrderPlaced))
	bus.Subscribe(orderevents.TopicOrderCancelled, "payments", events.Typed(paymentsSvc.OnOrderCancelled))
	bus.Subscribe(orderevents.TopicOrderCancelled, "shipping", events.Typed(shippingSvc.OnOrderCancelled))
	bus.Subscribe(shipping.TopicShipmentDispatched, "orders", events.Typed(ordersSvc.OnShipmentDispatched))
	bus.Subscribe(shipping.TopicShipmentDispatched, "notifications", events.Typed(notifySvc.OnShipmentDispatched))

	return &app{
		catalog: catalogSvc,
		stock:   stockRepo,
		handlers: server.Handlers{
			Catalog:       &catalog.Handler{Svc: catalogSvc, Stock: stockRepo},
			Inventory:     &inventory.Handler{Svc: inventorySvc},
			Cart:          &cart.Handler{Svc: cartSvc},
			Orders:        &ordersapi.Handler{Svc: ordersSvc, Users: userRepo, Stock: stockRepo, Carts: cartStore},
			Payments:      &payments.Handler{Svc: paymentsSvc},
			Shipping:      &shipping.Handler{Svc: shippingSvc},
			Users:         &users.Handler{Svc: usersSvc},
			Notifications: &notifications.Handler{Svc: notifySvc},
		},
	}
}

// Package orders is the orders domain of the extracted service: the order and its states,
// placing and cancelling, and the ports through which it reaches what stayed in the monolith
// (users, stock, the catalog, carts, payments). The types and their JSON and DynamoDB encodings
// are those of the monolith's example.com/shop/models, so both sides read each other's items
// while carve sync keeps them in step.
package orders

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Currency of every amount.
const Currency = "EUR"

// MaxQuantity is the most units of one SKU an order takes.
const MaxQuantity = 20

// Errors of the orders domain.
var (
	ErrNotFound          = errors.New("orders: order not found")
	ErrExists            = errors.New("orders: order already exists")
	ErrInvalid           = errors.New("orders: invalid order")
	ErrPaymentDeclined   = errors.New("orders: payment declined")
	ErrConflict          = errors.New("orders: order changed concurrently")
	ErrInvalidTransition = errors.New("invalid order status transition")
	// ErrUserNotFound and ErrOutOfStock are what the monolith answered through the ports.
	ErrUserNotFound = errors.New("users: user not found")
	ErrOutOfStock   = errors.New("inventory: insufficient stock")
)

// Money is an amount in cents.
type Money struct {
	Cents    int64  `json:"cents" dynamodbav:"cents"`
	Currency string `json:"currency" dynamodbav:"currency"`
}

// Cents returns an amount in the shop's currency.
func Cents(c int64) Money { return Money{Cents: c, Currency: Currency} }

// Add sums two amounts.
func (m Money) Add(o Money) Money {
	cur := m.Currency
	if cur == "" {
		cur = o.Currency
	}
	return Money{Cents: m.Cents + o.Cents, Currency: cur}
}

// Address is a postal address.
type Address struct {
	Name       string `json:"name" dynamodbav:"name"`
	Line1      string `json:"line1" dynamodbav:"line1"`
	Line2      string `json:"line2,omitempty" dynamodbav:"line2,omitempty"`
	City       string `json:"city" dynamodbav:"city"`
	PostalCode string `json:"postal_code" dynamodbav:"postal_code"`
	Country    string `json:"country" dynamodbav:"country"`
}

// Validate checks that the address can be shipped to.
func (a Address) Validate() error {
	var missing []string
	for _, f := range []struct{ name, v string }{{"city", a.City}, {"line1", a.Line1}, {"name", a.Name}, {"postal_code", a.PostalCode}} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("address: missing %s", strings.Join(missing, ", "))
	}
	if len(a.Country) != 2 || strings.ToUpper(a.Country) != a.Country {
		return fmt.Errorf("address: country %q is not an ISO 3166-1 alpha-2 code", a.Country)
	}
	return nil
}

// Status is where an order is in its life.
type Status string

// Order statuses.
const (
	Pending   Status = "pending"
	Paid      Status = "paid"
	Shipped   Status = "shipped"
	Cancelled Status = "cancelled"
	Failed    Status = "failed"
)

// CanMoveTo reports whether an order may go from s to next.
func (s Status) CanMoveTo(next Status) bool {
	switch s {
	case Pending:
		return next == Paid || next == Failed || next == Cancelled
	case Paid:
		return next == Shipped || next == Cancelled
	}
	return false
}

// Line is one SKU of an order, priced when the order was placed.
type Line struct {
	SKU       string `json:"sku" dynamodbav:"sku"`
	Name      string `json:"name" dynamodbav:"name"`
	Quantity  int    `json:"quantity" dynamodbav:"quantity"`
	UnitPrice Money  `json:"unit_price" dynamodbav:"unit_price"`
}

// Order is a placed order. UpdatedAt rises on every write: carve sync's two-way pipelines use
// it as the version that decides between the two sides.
type Order struct {
	ID        string    `json:"id" dynamodbav:"id"`
	UserID    string    `json:"user_id" dynamodbav:"user_id"`
	Status    Status    `json:"status" dynamodbav:"status"`
	Lines     []Line    `json:"lines" dynamodbav:"lines"`
	Subtotal  Money     `json:"subtotal" dynamodbav:"subtotal"`
	Shipping  Money     `json:"shipping" dynamodbav:"shipping"`
	Total     Money     `json:"total" dynamodbav:"total"`
	ShipTo    Address   `json:"ship_to" dynamodbav:"ship_to"`
	PaymentID string    `json:"payment_id,omitempty" dynamodbav:"payment_id,omitempty"`
	Tracking  string    `json:"tracking,omitempty" dynamodbav:"tracking,omitempty"`
	CreatedAt time.Time `json:"created_at" dynamodbav:"created_at"`
	UpdatedAt time.Time `json:"updated_at" dynamodbav:"updated_at"`
}

// Item is a SKU and quantity asked for.
type Item struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
}

// MergeItems adds up the quantities of repeated SKUs and sorts by SKU.
func MergeItems(items []Item) []Item {
	qty := map[string]int{}
	for _, it := range items {
		qty[strings.TrimSpace(it.SKU)] += it.Quantity
	}
	out := make([]Item, 0, len(qty))
	for sku, q := range qty {
		out = append(out, Item{SKU: sku, Quantity: q})
	}
	slices.SortFunc(out, func(a, b Item) int { return strings.Compare(a.SKU, b.SKU) })
	return out
}

// User is what orders needs of a customer.
type User struct {
	ID      string   `json:"id"`
	Address *Address `json:"address,omitempty"`
}

// Product is what orders needs of a catalog entry.
type Product struct {
	SKU    string `json:"sku"`
	Name   string `json:"name"`
	Price  Money  `json:"price"`
	Active bool   `json:"active"`
}

// Repository stores orders; store.Repo implements it on the service's own table.
type Repository interface {
	Create(ctx context.Context, o Order) error
	Get(ctx context.Context, id string) (Order, error)
	// ListByUser returns the user's orders, newest first, at most limit of them.
	ListByUser(ctx context.Context, userID string, limit int) ([]Order, error)
	// Update replaces o if its stored status is still expect, else fails with ErrConflict.
	Update(ctx context.Context, o Order, expect Status) error
}

// Users finds customers (in the monolith: GET /users/{id}). A missing user is ErrUserNotFound.
type Users interface {
	User(ctx context.Context, id string) (User, error)
}

// Stock takes and returns units (in the monolith: POST /inventory/{sku}/adjust). Too little
// stock is ErrOutOfStock.
type Stock interface {
	Adjust(ctx context.Context, sku string, delta int) error
}

// Catalog prices products (in the monolith: GET /products/{sku}).
type Catalog interface {
	Product(ctx context.Context, sku string) (Product, error)
}

// Carts reads and empties a customer's cart (in the monolith: GET and DELETE /cart/{user}).
type Carts interface {
	Items(ctx context.Context, userID string) ([]Item, error)
	Clear(ctx context.Context, userID string) error
}

// Payments charges an order; a declined card is an error wrapping ErrPaymentDeclined.
type Payments interface {
	Charge(ctx context.Context, orderID, userID string, amount Money, cardToken string) (paymentID string, err error)
}

// NewID returns an order identifier of the monolith's form: ord_<ms timestamp>_<random>.
func NewID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails on supported platforms
	return fmt.Sprintf("ord_%013x_%s", time.Now().UnixMilli(), hex.EncodeToString(b[:]))
}

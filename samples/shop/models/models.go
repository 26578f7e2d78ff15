// Package models holds the types that several parts of the shop pass around: money, addresses,
// products, users, cart items and orders. It grew as "the place for shared structs" and is now
// imported by most domains, which is why it is hard to tell which domain owns what.
package models

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Currency the shop sells in. Multi-currency was planned and never shipped.
const Currency = "EUR"

// Money is an amount in cents of a currency.
type Money struct {
	Cents    int64  `json:"cents" dynamodbav:"cents"`
	Currency string `json:"currency" dynamodbav:"currency"`
}

// Cents returns an amount in the shop's currency.
func Cents(c int64) Money { return Money{Cents: c, Currency: Currency} }

// Add returns m+o. Both must be in the same currency (an empty currency takes the other's).
func (m Money) Add(o Money) Money {
	cur := m.Currency
	if cur == "" {
		cur = o.Currency
	}
	return Money{Cents: m.Cents + o.Cents, Currency: cur}
}

// Times returns m multiplied by n.
func (m Money) Times(n int) Money { return Money{Cents: m.Cents * int64(n), Currency: m.Currency} }

// String formats m as "12.34 EUR".
func (m Money) String() string {
	sign := ""
	c := m.Cents
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%s%d.%02d %s", sign, c/100, c%100, m.Currency)
}

// Address is a postal address.
type Address struct {
	Name       string `json:"name" dynamodbav:"name"`
	Line1      string `json:"line1" dynamodbav:"line1"`
	Line2      string `json:"line2,omitempty" dynamodbav:"line2,omitempty"`
	City       string `json:"city" dynamodbav:"city"`
	PostalCode string `json:"postal_code" dynamodbav:"postal_code"`
	Country    string `json:"country" dynamodbav:"country"` // ISO 3166-1 alpha-2
}

// Validate checks that the address can be shipped to.
func (a Address) Validate() error {
	var missing []string
	for field, v := range map[string]string{"name": a.Name, "line1": a.Line1, "city": a.City, "postal_code": a.PostalCode} {
		if strings.TrimSpace(v) == "" {
			missing = append(missing, field)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("address: missing %s", strings.Join(sorted(missing), ", "))
	}
	if len(a.Country) != 2 || strings.ToUpper(a.Country) != a.Country {
		return fmt.Errorf("address: country %q is not an ISO 3166-1 alpha-2 code", a.Country)
	}
	return nil
}

func sorted(s []string) []string {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s
}

// Product is an item of the catalog.
type Product struct {
	SKU         string    `json:"sku" dynamodbav:"sku"`
	Name        string    `json:"name" dynamodbav:"name"`
	Description string    `json:"description,omitempty" dynamodbav:"description,omitempty"`
	Category    string    `json:"category" dynamodbav:"category"`
	Price       Money     `json:"price" dynamodbav:"price"`
	Active      bool      `json:"active" dynamodbav:"active"`
	UpdatedAt   time.Time `json:"updated_at" dynamodbav:"updated_at"`
}

// User is a customer account.
type User struct {
	ID          string     `json:"id" dynamodbav:"id"`
	Email       string     `json:"email" dynamodbav:"email"`
	Name        string     `json:"name" dynamodbav:"name"`
	Address     *Address   `json:"address,omitempty" dynamodbav:"address,omitempty"`
	CreatedAt   time.Time  `json:"created_at" dynamodbav:"created_at"`
	OrderCount  int        `json:"order_count" dynamodbav:"order_count"`
	LastOrderAt *time.Time `json:"last_order_at,omitempty" dynamodbav:"last_order_at,omitempty"`
}

// CartItem is a line of a shopping cart.
type CartItem struct {
	SKU       string    `json:"sku" dynamodbav:"sku"`
	Name      string    `json:"name" dynamodbav:"name"`
	Quantity  int       `json:"quantity" dynamodbav:"quantity"`
	UnitPrice Money     `json:"unit_price" dynamodbav:"unit_price"`
	AddedAt   time.Time `json:"added_at" dynamodbav:"added_at"`
}

// OrderStatus is where an order is in its life.
type OrderStatus string

// Order statuses.
const (
	OrderPending   OrderStatus = "pending"   // stored, payment not yet taken
	OrderPaid      OrderStatus = "paid"      // payment captured, waiting for shipping
	OrderShipped   OrderStatus = "shipped"   // handed to the carrier
	OrderCancelled OrderStatus = "cancelled" // cancelled; payment refunded if taken
	OrderFailed    OrderStatus = "failed"    // payment declined
)

// ErrInvalidTransition is returned when an order cannot move to the requested status.
var ErrInvalidTransition = errors.New("invalid order status transition")

// CanMoveTo reports whether an order in status s may move to next.
func (s OrderStatus) CanMoveTo(next OrderStatus) bool {
	switch s {
	case OrderPending:
		return next == OrderPaid || next == OrderFailed || next == OrderCancelled
	case OrderPaid:
		return next == OrderShipped || next == OrderCancelled
	}
	return false
}

// OrderLine is one product of an order, priced when the order was placed.
type OrderLine struct {
	SKU       string `json:"sku" dynamodbav:"sku"`
	Name      string `json:"name" dynamodbav:"name"`
	Quantity  int    `json:"quantity" dynamodbav:"quantity"`
	UnitPrice Money  `json:"unit_price" dynamodbav:"unit_price"`
}

// Total is the line's price.
func (l OrderLine) Total() Money { return l.UnitPrice.Times(l.Quantity) }

// Order is a placed order.
type Order struct {
	ID        string      `json:"id" dynamodbav:"id"`
	UserID    string      `json:"user_id" dynamodbav:"user_id"`
	Status    OrderStatus `json:"status" dynamodbav:"status"`
	Lines     []OrderLine `json:"lines" dynamodbav:"lines"`
	Subtotal  Money       `json:"subtotal" dynamodbav:"subtotal"`
	Shipping  Money       `json:"shipping" dynamodbav:"shipping"`
	Total     Money       `json:"total" dynamodbav:"total"`
	ShipTo    Address     `json:"ship_to" dynamodbav:"ship_to"`
	PaymentID string      `json:"payment_id,omitempty" dynamodbav:"payment_id,omitempty"`
	Tracking  string      `json:"tracking,omitempty" dynamodbav:"tracking,omitempty"`
	CreatedAt time.Time   `json:"created_at" dynamodbav:"created_at"`
	UpdatedAt time.Time   `json:"updated_at" dynamodbav:"updated_at"`
}

// Subtotal sums the lines' prices.
func Subtotal(lines []OrderLine) Money {
	total := Cents(0)
	for _, l := range lines {
		total = total.Add(l.Total())
	}
	return total
}

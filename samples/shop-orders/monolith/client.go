// Package monolith is the service's HTTP client of what stayed in the shop monolith: customers
// (users), stock (inventory), prices (catalog), carts and shipping quotes. These were
// in-process calls before the extraction (orders/api → users/store, inventory/store, cart;
// orders → catalog, shipping); each is now a request with a deadline.
package monolith

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"example.com/shop-orders/orders"
)

// Client calls the monolith's HTTP API. Reads are retried once after a connection failure or
// a 502/503/504; writes (stock adjustments) are not, since the monolith's adjust is not
// idempotent.
type Client struct {
	// Base is the monolith's base URL, e.g. http://127.0.0.1:9000.
	Base string
	// HTTP is the client (default: one with keep-alive and a 5s overall timeout).
	HTTP *http.Client
	// Timeout bounds each request (default 5s).
	Timeout time.Duration
}

var (
	_ orders.Users    = (*Client)(nil)
	_ orders.Stock    = (*Client)(nil)
	_ orders.Catalog  = (*Client)(nil)
	_ orders.Carts    = (*Client)(nil)
	_ orders.Shipping = (*Client)(nil)
)

// New returns a client of the monolith at base.
func New(base string) (*Client, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("monolith URL %q: want http://host:port", base)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	return &Client{Base: strings.TrimRight(base, "/"), HTTP: &http.Client{Transport: tr, Timeout: 10 * time.Second}, Timeout: 5 * time.Second}, nil
}

// Error is a non-2xx answer of the monolith.
type Error struct {
	Method, Path string
	Status       int
	Code         string
	Message      string
}

func (e *Error) Error() string {
	return fmt.Sprintf("monolith %s %s: %d %s: %s", e.Method, e.Path, e.Status, e.Code, e.Message)
}

// User returns the customer; a missing one is orders.ErrUserNotFound.
func (c *Client) User(ctx context.Context, id string) (orders.User, error) {
	var u orders.User
	err := c.do(ctx, http.MethodGet, "/users/"+url.PathEscape(id), nil, &u)
	if isStatus(err, http.StatusNotFound) {
		return orders.User{}, fmt.Errorf("%w: %s", orders.ErrUserNotFound, id)
	}
	return u, err
}

// Adjust adds delta units to a SKU's stock; too little stock or an unknown SKU is
// orders.ErrOutOfStock.
func (c *Client) Adjust(ctx context.Context, sku string, delta int) error {
	err := c.do(ctx, http.MethodPost, "/inventory/"+url.PathEscape(sku)+"/adjust", map[string]int{"delta": delta}, nil)
	if isStatus(err, http.StatusConflict) || isStatus(err, http.StatusNotFound) {
		return fmt.Errorf("%w: %s needs %d: %w", orders.ErrOutOfStock, sku, -delta, err)
	}
	return err
}

// Product returns a catalog entry.
func (c *Client) Product(ctx context.Context, sku string) (orders.Product, error) {
	var p orders.Product
	err := c.do(ctx, http.MethodGet, "/products/"+url.PathEscape(sku), nil, &p)
	if isStatus(err, http.StatusNotFound) {
		return orders.Product{}, fmt.Errorf("catalog: product %s not found", sku)
	}
	return p, err
}

// Items returns what is in the customer's cart.
func (c *Client) Items(ctx context.Context, userID string) ([]orders.Item, error) {
	var cart struct {
		Items []orders.Item `json:"items"`
	}
	err := c.do(ctx, http.MethodGet, "/cart/"+url.PathEscape(userID), nil, &cart)
	return cart.Items, err
}

// Clear empties the customer's cart.
func (c *Client) Clear(ctx context.Context, userID string) error {
	return c.do(ctx, http.MethodDelete, "/cart/"+url.PathEscape(userID), nil, nil)
}

// Quote returns the shipping cost of an order with subtotal to country.
func (c *Client) Quote(ctx context.Context, subtotal orders.Money, country string) (orders.Money, error) {
	var q struct {
		Cost orders.Money `json:"cost"`
	}
	err := c.do(ctx, http.MethodGet, "/shipping/quote?subtotal="+strconv.FormatInt(subtotal.Cents, 10)+"&country="+url.QueryEscape(country), nil, &q)
	return q.Cost, err
}

func isStatus(err error, status int) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == status
}

// do sends one request and decodes a 2xx JSON answer into out (when not nil).
func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	attempts := 1
	if method == http.MethodGet {
		attempts = 2
	}
	var err error
	for i := 0; i < attempts; i++ {
		var retry bool
		retry, err = c.once(ctx, method, path, body, out)
		if err == nil || !retry || ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(50 * time.Millisecond):
		}
	}
	return err
}

func (c *Client) once(ctx context.Context, method, path string, body, out any) (retry bool, err error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return false, fmt.Errorf("monolith %s %s: encoding body: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, rd)
	if err != nil {
		return false, fmt.Errorf("monolith %s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return true, fmt.Errorf("monolith %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return true, fmt.Errorf("monolith %s %s: reading answer: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		e := &Error{Method: method, Path: path, Status: resp.StatusCode}
		var env struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if json.Unmarshal(b, &env) == nil {
			e.Code, e.Message = env.Error.Code, env.Error.Message
		}
		retry := resp.StatusCode == http.StatusBadGateway || resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusGatewayTimeout
		return retry, e
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return false, nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return false, fmt.Errorf("monolith %s %s: decoding answer: %w", method, path, err)
	}
	return false, nil
}

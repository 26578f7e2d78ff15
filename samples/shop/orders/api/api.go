// Package api is the orders HTTP handler. Placing an order is where the monolith's domains meet:
// the handler reads the customer straight from the users' table, takes stock out through the
// inventory store and empties the cart through the cart store, around the orders service.
package api

import (
	"context"
	"errors"
	"net/http"

	"example.com/shop/cart"
	"example.com/shop/inventory"
	invstore "example.com/shop/inventory/store"
	"example.com/shop/models"
	"example.com/shop/orders"
	"example.com/shop/platform/httpx"
	"example.com/shop/platform/logging"
	"example.com/shop/users"
	userstore "example.com/shop/users/store"
)

// Handler serves the orders API. The router registers its routes:
//
//	POST /orders               place an order
//	GET  /orders/{id}          one order
//	POST /orders/{id}/cancel   cancel an order
//	GET  /users/{id}/orders    a user's orders, newest first
type Handler struct {
	Svc   *orders.Service
	Users *userstore.Repo
	Stock *invstore.Repo
	Carts *cart.Store
}

// CreateRequest is the body of POST /orders. Items may be left out with from_cart=true; ship_to
// defaults to the user's address.
type CreateRequest struct {
	UserID    string          `json:"user_id"`
	Items     []orders.Item   `json:"items,omitempty"`
	FromCart  bool            `json:"from_cart,omitempty"`
	ShipTo    *models.Address `json:"ship_to,omitempty"`
	CardToken string          `json:"card_token"`
}

// Create places an order.
func (h *Handler) Create(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var req CreateRequest
	if err := httpx.Decode(w, r, &req); err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	if req.UserID == "" {
		httpx.WriteError(w, r, httpx.BadRequest("user_id is required"))
		return
	}
	user, err := h.Users.Get(ctx, req.UserID)
	if err != nil {
		httpx.WriteError(w, r, apiError(err))
		return
	}
	in := orders.PlaceInput{UserID: user.ID, Items: req.Items, CardToken: req.CardToken}
	switch {
	case req.ShipTo != nil:
		in.ShipTo = *req.ShipTo
	case user.Address != nil:
		in.ShipTo = *user.Address
	}
	if req.FromCart {
		if len(req.Items) > 0 {
			httpx.WriteError(w, r, httpx.BadRequest("give items or from_cart, not both"))
			return
		}
		cartItems, err := h.Carts.Items(ctx, user.ID)
		if err != nil {
			httpx.WriteError(w, r, err)
			return
		}
		for _, it := range cartItems {
			in.Items = append(in.Items, orders.Item{SKU: it.SKU, Quantity: it.Quantity})
		}
	}
	if err := in.Validate(); err != nil {
		httpx.WriteError(w, r, apiError(err))
		return
	}

	items := orders.MergeItems(in.Items)
	taken, err := h.takeStock(ctx, items)
	if err != nil {
		h.putBackStock(ctx, taken)
		httpx.WriteError(w, r, apiError(err))
		return
	}
	o, err := h.Svc.Place(ctx, in)
	if err != nil {
		h.putBackStock(ctx, taken)
		if errors.Is(err, orders.ErrPaymentDeclined) {
			httpx.JSON(w, http.StatusPaymentRequired, map[string]any{
				"error": httpx.Errorf(http.StatusPaymentRequired, "payment_declined", "%v", err),
				"order": o,
			})
			return
		}
		httpx.WriteError(w, r, apiError(err))
		return
	}
	if req.FromCart {
		if err := h.Carts.Clear(ctx, user.ID); err != nil {
			logging.From(ctx).WarnContext(ctx, "clearing cart after order", "user_id", user.ID, "order_id", o.ID, "err", err)
		}
	}
	w.Header().Set("Location", "/orders/"+o.ID)
	httpx.JSON(w, http.StatusCreated, o)
}

// takeStock decrements the stock of each item and returns what it took, also on failure.
func (h *Handler) takeStock(ctx context.Context, items []orders.Item) ([]orders.Item, error) {
	var taken []orders.Item
	for _, it := range items {
		if err := h.Stock.Decrement(ctx, it.SKU, it.Quantity); err != nil {
			return taken, err
		}
		taken = append(taken, it)
	}
	return taken, nil
}

// putBackStock returns stock taken for an order that did not happen. It runs even if the
// client has gone away.
func (h *Handler) putBackStock(ctx context.Context, items []orders.Item) {
	ctx = context.WithoutCancel(ctx)
	for _, it := range items {
		if err := h.Stock.Increment(ctx, it.SKU, it.Quantity); err != nil {
			logging.From(ctx).ErrorContext(ctx, "putting stock back", "sku", it.SKU, "quantity", it.Quantity, "err", err)
		}
	}
}

// Get returns one order.
func (h *Handler) Get(w http.ResponseWriter, r *http.Request) {
	o, err := h.Svc.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		httpx.WriteError(w, r, apiError(err))
		return
	}
	httpx.JSON(w, http.StatusOK, o)
}

// ListByUser returns a user's orders: GET /users/{id}/orders?limit=20.
func (h *Handler) ListByUser(w http.ResponseWriter, r *http.Request) {
	limit, err := httpx.QueryInt(r, "limit", 20)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	list, err := h.Svc.ListByUser(r.Context(), r.PathValue("id"), limit)
	if err != nil {
		httpx.WriteError(w, r, apiError(err))
		return
	}
	if list == nil {
		list = []models.Order{}
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"orders": list})
}

// Cancel cancels an order and puts its stock back: {"reason": "..."} (body optional).
func (h *Handler) Cancel(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Reason string `json:"reason"`
	}
	if r.ContentLength != 0 {
		if err := httpx.Decode(w, r, &req); err != nil {
			httpx.WriteError(w, r, err)
			return
		}
	}
	if req.Reason == "" {
		req.Reason = "cancelled by customer"
	}
	o, err := h.Svc.Cancel(r.Context(), r.PathValue("id"), req.Reason)
	if err != nil {
		httpx.WriteError(w, r, apiError(err))
		return
	}
	items := make([]orders.Item, len(o.Lines))
	for i, l := range o.Lines {
		items[i] = orders.Item{SKU: l.SKU, Quantity: l.Quantity}
	}
	h.putBackStock(r.Context(), items)
	httpx.JSON(w, http.StatusOK, o)
}

func apiError(err error) error {
	switch {
	case errors.Is(err, orders.ErrNotFound):
		return httpx.NotFound("%v", err)
	case errors.Is(err, users.ErrNotFound):
		return httpx.NotFound("%v", err)
	case errors.Is(err, orders.ErrInvalid):
		return httpx.BadRequest("%v", err)
	case errors.Is(err, inventory.ErrInsufficientStock):
		return httpx.Errorf(http.StatusConflict, "out_of_stock", "%v", err)
	case errors.Is(err, inventory.ErrNotFound):
		return httpx.Errorf(http.StatusConflict, "out_of_stock", "%v", err)
	case errors.Is(err, models.ErrInvalidTransition), errors.Is(err, orders.ErrConflict):
		return httpx.Conflict("%v", err)
	}
	return err
}

// Package orders serves the orders API.
package orders

import "github.com/labstack/echo/v4"

// Handler serves orders.
type Handler struct{}

// List lists orders.
func (h *Handler) List(c echo.Context) error { return nil }

// Cancel cancels an order.
func (h *Handler) Cancel(c echo.Context) error { return nil }

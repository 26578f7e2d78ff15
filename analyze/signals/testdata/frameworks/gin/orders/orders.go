// Package orders serves the orders API.
package orders

import "github.com/gin-gonic/gin"

// Handler serves orders.
type Handler struct{}

// Register adds the order routes to g.
func Register(g *gin.RouterGroup, h *Handler) {
	g.GET("", h.List)
	g.POST("/", auth, h.Create)
	g.GET("/:id", h.Get)
}

func auth(c *gin.Context) { c.Next() }

// List lists orders.
func (h *Handler) List(c *gin.Context) {}

// Create creates an order.
func (h *Handler) Create(c *gin.Context) {}

// Get returns an order.
func (h *Handler) Get(c *gin.Context) {}

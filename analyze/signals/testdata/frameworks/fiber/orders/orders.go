// Package orders serves the orders API.
package orders

import "github.com/gofiber/fiber/v2"

// Mount adds the order routes under r.
func Mount(r fiber.Router) {
	g := r.Group("/orders")
	g.Get("/", list)
	g.Post("/:id/pay", pay)
	g.Add("PATCH", "/:id", update)
}

func list(c *fiber.Ctx) error   { return nil }
func pay(c *fiber.Ctx) error    { return nil }
func update(c *fiber.Ctx) error { return nil }

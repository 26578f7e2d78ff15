// Command app serves orders with Fiber: groups, and a group passed to another package through
// the fiber.Router interface.
package main

import (
	"github.com/gofiber/fiber/v2"

	"example.com/fiberapp/orders"
)

func main() {
	app := fiber.New()
	app.Get("/health", health)
	api := app.Group("/api")
	v2 := api.Group("/v2")
	orders.Mount(v2)
	app.Route("/admin", func(r fiber.Router) {
		r.Get("/stats", health)
	})
	_ = app.Listen(":8080")
}

func health(c *fiber.Ctx) error { return c.SendStatus(200) }

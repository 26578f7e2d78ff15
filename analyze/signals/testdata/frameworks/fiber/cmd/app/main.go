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
	app.Get("/download", download)
	api := app.Group("/api")
	v2 := api.Group("/v2")
	orders.Mount(v2)
	app.Route("/admin", func(r fiber.Router) {
		r.Get("/stats", health)
	})
	app.Static("/public", "./public") // files: listed in the coverage
	_ = app.Listen(":8080")
}

func health(c *fiber.Ctx) error { return c.SendStatus(200) }

// download serves a file from a handler: a Ctx's SendFile is no route.
func download(c *fiber.Ctx) error { return c.SendFile("./report.pdf") }

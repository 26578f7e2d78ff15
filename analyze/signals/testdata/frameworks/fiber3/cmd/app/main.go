// Command app serves with Fiber v3: a group, Add with a list of methods, and Route.
package main

import (
	"github.com/gofiber/fiber/v3"
)

func main() {
	app := fiber.New()
	app.Get("/health", health)
	api := app.Group("/api")
	api.Add([]string{fiber.MethodGet, fiber.MethodHead}, "/status", health)
	app.Route("/admin", func(r fiber.Router) {
		r.Get("/stats", health)
	})
	_ = app.Listen(":8080")
}

func health(c fiber.Ctx) error { return c.SendStatus(200) }

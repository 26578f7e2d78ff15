// Command app serves orders with echo: a group and a nested group.
package main

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"example.com/echoapp/orders"
)

func main() {
	e := echo.New()
	e.GET("/health", health)
	api := e.Group("/api")
	h := &orders.Handler{}
	g := api.Group("/orders")
	g.GET("", h.List)
	g.POST("/:id/cancel", h.Cancel)
	e.Add(http.MethodPut, "/settings", health)
	e.Logger.Fatal(e.Start(":8080"))
}

func health(c echo.Context) error { return c.NoContent(http.StatusOK) }

// Command app serves orders with echo: a group and a nested group.
package main

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"example.com/echoapp/api"
	"example.com/echoapp/billing"
	"example.com/echoapp/orders"
)

func main() {
	e := echo.New()
	e.GET("/health", health)
	apiGroup := e.Group("/api")
	h := &orders.Handler{}
	g := apiGroup.Group("/orders")
	g.GET("", h.List)
	g.POST("/:id/cancel", h.Cancel)
	e.Add(http.MethodPut, "/settings", health)
	methods := []string{http.MethodGet, http.MethodHead}
	e.Match(methods, "/status", health) // methods through a variable
	e.GET("/logo", logo)
	e.Static("/assets", "public") // files: listed in the coverage
	apiGroup.File("/favicon.ico", "favicon.ico")
	e.RouteNotFound("/api/*", health) // a routing call carve does not read: listed
	// An oapi-codegen echo server registered on a group through the generated EchoRouter.
	api.RegisterHandlersWithBaseURL(e.Group("/billing"), billing.Server{}, "/v1")
	e.Logger.Fatal(e.Start(":8080"))
}

func health(c echo.Context) error { return c.NoContent(http.StatusOK) }

// logo serves a file from a handler: a Context's File is no route.
func logo(c echo.Context) error { return c.File("logo.png") }

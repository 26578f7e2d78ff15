// Command app serves orders with gin: a group, a nested group, a group passed to another
// package.
package main

import (
	"os"

	"github.com/gin-gonic/gin"

	"example.com/ginapp/orders"
)

func main() {
	r := gin.Default()
	r.GET("/ping", ping)
	api := r.Group("/api")
	v1 := api.Group("/v1")
	orders.Register(v1.Group("/orders"), &orders.Handler{})
	r.Handle("DELETE", "/cache", ping)
	r.GET("/logo", logo)
	r.GET(os.Getenv("STATUS_PATH"), ping) // a path known at run time only
	r.Match([]string{"GET", "HEAD"}, "/status", ping)
	probes := []gin.HandlerFunc{ping}
	r.GET("/probe", probes...)                // no one handler: listed in the coverage
	r.Group("/user").Use(auth).POST("", ping) // Use returns the group
	r.OPTIONS("/*any")                        // no handler: listed in the coverage
	r.Static("/assets", "./public")           // files: listed in the coverage
	r.StaticFile("/favicon.ico", "./favicon.ico")
	_ = r.Run(":8080")
}

func ping(c *gin.Context) { c.String(200, "pong") }

func auth(c *gin.Context) { c.Next() }

// logo serves a file from a handler: a Context's File is no route.
func logo(c *gin.Context) { c.File("./logo.png") }

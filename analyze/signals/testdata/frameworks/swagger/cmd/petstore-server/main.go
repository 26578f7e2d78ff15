// Command petstore-server serves the go-swagger petstore.
package main

import (
	"net/http"

	"example.com/swaggerapp/restapi"
	"example.com/swaggerapp/restapi/operations"
)

func main() {
	_ = http.ListenAndServe(":8080", restapi.ConfigureAPI(operations.NewPetstoreAPI()))
}

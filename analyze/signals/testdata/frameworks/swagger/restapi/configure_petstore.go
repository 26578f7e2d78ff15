// This file is safe to edit. Once it exists it will not be overwritten (go-swagger's
// configure_*.go): the program assigns its operation handlers here.

package restapi

import (
	"net/http"

	"github.com/go-openapi/runtime/middleware"

	"example.com/swaggerapp/pets"
	"example.com/swaggerapp/restapi/operations"
)

// ConfigureAPI assigns the operation handlers.
func ConfigureAPI(api *operations.PetstoreAPI) http.Handler {
	api.FindPetsHandler = operations.FindPetsHandlerFunc(func(r *http.Request) middleware.Responder {
		return pets.Find(r)
	})
	api.DeletePetHandler = pets.NewDeleter()
	return api.Serve(nil)
}

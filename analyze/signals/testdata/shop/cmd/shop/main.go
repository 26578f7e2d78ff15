// Command shop runs the shop.
package main

import (
	"net/http"

	"example.com/shop/cart"
	"example.com/shop/catalog"
	"example.com/shop/inventory"
	"example.com/shop/notify"
	"example.com/shop/orders"
	"example.com/shop/ordersdb"
	"example.com/shop/payments"
	"example.com/shop/platform/store"
	"example.com/shop/platform/web"
	"example.com/shop/users"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/go-chi/chi/v5"
	"github.com/gorilla/mux"
)

func logging(next http.HandlerFunc) http.HandlerFunc { return next }

func health(w http.ResponseWriter, r *http.Request) {}

func main() {
	client := &dynamodb.Client{}
	store.Client = client
	repo := ordersdb.New(client, orders.TableOrders)
	svc := orders.NewService(repo, &inventory.Service{}, notify.SMS{})
	oh := orders.NewHandler(svc)

	sm := http.NewServeMux()
	sm.HandleFunc("GET /orders/{id}", oh.Get)
	sm.Handle("POST /orders", http.HandlerFunc(oh.Create))
	sm.Handle("/catalog/", catalog.Handler())
	sm.HandleFunc("GET /cart", logging(cart.ServeCart))
	http.HandleFunc("shop.example.com/health", health)

	r := chi.NewRouter()
	payments.Routes(r, &payments.Handler{})
	r.Mount("/billing", payments.Router(&payments.Handler{}))
	gr := mux.NewRouter()
	users.Register(gr, &users.Handler{})
	users.RegisterMe(gr, &users.Handler{})

	_ = orders.Order{ID: "1"}.Key()
	catalog.Routes(web.New())
	_ = http.ListenAndServe(":8080", sm)
}

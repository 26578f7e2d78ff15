// Package fakeshop is an httptest stand-in for the shop monolith's API that the orders service
// calls (users, inventory adjust, products, carts, shipping quotes), with the monolith's status
// codes and error bodies, for the service's unit tests.
package fakeshop

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
)

// Shop is the fake monolith's state.
type Shop struct {
	mu       sync.Mutex
	Users    map[string]bool
	Stock    map[string]int
	Prices   map[string]int64 // active products
	Carts    map[string][]map[string]any
	Adjusts  int // POST /inventory/{sku}/adjust calls
	Fail503  int // answer this many next requests with 503
	Requests []string
}

// New returns a shop with user usr_1 (address in Paris), SKUs mug (1200 cents, 5 units) and
// pan (4500 cents, 1 unit) and inactive poster, and starts it.
func New() (*Shop, *httptest.Server) {
	s := &Shop{
		Users:  map[string]bool{"usr_1": true},
		Stock:  map[string]int{"mug": 5, "pan": 1, "poster": 3},
		Prices: map[string]int64{"mug": 1200, "pan": 4500},
		Carts:  map[string][]map[string]any{},
	}
	return s, httptest.NewServer(s)
}

// Level returns the stock of sku.
func (s *Shop) Level(sku string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Stock[sku]
}

func writeErr(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// ServeHTTP answers like the monolith.
func (s *Shop) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.Requests = append(s.Requests, r.Method+" "+r.URL.Path)
	if s.Fail503 > 0 {
		s.Fail503--
		s.mu.Unlock()
		writeErr(w, http.StatusServiceUnavailable, "unavailable", "try again")
		return
	}
	s.mu.Unlock()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		ok := s.Users[r.PathValue("id")]
		s.mu.Unlock()
		if !ok {
			writeErr(w, http.StatusNotFound, "not_found", "users: user not found: "+r.PathValue("id"))
			return
		}
		writeJSON(w, map[string]any{"id": r.PathValue("id"), "email": "a@example.com", "name": "Ada",
			"address": map[string]string{"name": "Ada", "line1": "1 Rue de Rivoli", "city": "Paris", "postal_code": "75001", "country": "FR"}})
	})
	mux.HandleFunc("POST /inventory/{sku}/adjust", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Delta int `json:"delta"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			writeErr(w, http.StatusBadRequest, "bad_request", err.Error())
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.Adjusts++
		sku := r.PathValue("sku")
		n, ok := s.Stock[sku]
		switch {
		case !ok:
			writeErr(w, http.StatusNotFound, "not_found", "inventory: sku not found: "+sku)
		case n+in.Delta < 0:
			writeErr(w, http.StatusConflict, "conflict", "inventory: insufficient stock: "+sku)
		default:
			s.Stock[sku] = n + in.Delta
			writeJSON(w, map[string]any{"sku": sku, "on_hand": n + in.Delta})
		}
	})
	mux.HandleFunc("GET /products/{sku}", func(w http.ResponseWriter, r *http.Request) {
		sku := r.PathValue("sku")
		s.mu.Lock()
		price, active := s.Prices[sku]
		_, known := s.Stock[sku]
		s.mu.Unlock()
		if !known {
			writeErr(w, http.StatusNotFound, "not_found", "catalog: product not found: "+sku)
			return
		}
		writeJSON(w, map[string]any{"sku": sku, "name": "The " + sku, "active": active,
			"price": map[string]any{"cents": price, "currency": "EUR"}})
	})
	mux.HandleFunc("GET /cart/{user}", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		items := s.Carts[r.PathValue("user")]
		s.mu.Unlock()
		if items == nil {
			items = []map[string]any{}
		}
		writeJSON(w, map[string]any{"user_id": r.PathValue("user"), "items": items})
	})
	mux.HandleFunc("DELETE /cart/{user}", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		delete(s.Carts, r.PathValue("user"))
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /shipping/quote", func(w http.ResponseWriter, r *http.Request) {
		sub, _ := strconv.ParseInt(r.URL.Query().Get("subtotal"), 10, 64)
		cost := int64(490)
		if sub >= 5000 {
			cost = 0
		}
		writeJSON(w, map[string]any{"zone": "domestic", "cost": map[string]any{"cents": cost, "currency": "EUR"}})
	})
	mux.ServeHTTP(w, r)
}

package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"example.com/shop-orders/api"
	"example.com/shop-orders/internal/fakeshop"
	"example.com/shop-orders/monolith"
	"example.com/shop-orders/orders"
	"example.com/shop-orders/payments"
)

func TestAPI(t *testing.T) {
	_, shopSrv := fakeshop.New()
	defer shopSrv.Close()
	c, _ := monolith.New(shopSrv.URL)
	svc := &orders.Service{Repo: &orders.MemoryRepo{}, Users: c, Stock: c, Catalog: c, Carts: c, Shipping: c, Payments: payments.Simulator{}}
	srv := httptest.NewServer((&api.Handler{Svc: svc}).Routes())
	defer srv.Close()

	do := func(method, path, body string) (int, map[string]any, http.Header) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s %s: %d %q is not a JSON object", method, path, resp.StatusCode, b)
		}
		return resp.StatusCode, m, resp.Header
	}
	code, o, h := do("POST", "/orders", `{"user_id":"usr_1","items":[{"sku":"mug","quantity":1}],"card_token":"tok_visa"}`)
	if code != 201 || o["status"] != "paid" || h.Get("Location") != "/orders/"+o["id"].(string) || h.Get("X-Served-By") != api.ServedBy {
		t.Fatalf("create: %d %v %v", code, o, h)
	}
	id := o["id"].(string)
	if code, got, _ := do("GET", "/orders/"+id, ""); code != 200 || got["id"] != id {
		t.Errorf("get: %d %v", code, got)
	}
	if code, got, _ := do("GET", "/users/usr_1/orders?limit=5", ""); code != 200 || len(got["orders"].([]any)) != 1 {
		t.Errorf("list: %d %v", code, got)
	}
	if code, got, _ := do("POST", "/orders/"+id+"/cancel", `{"reason":"changed my mind"}`); code != 200 || got["status"] != "cancelled" {
		t.Errorf("cancel: %d %v", code, got)
	}
	for _, tc := range []struct {
		method, path, body string
		code               int
		errCode            string
	}{
		{"POST", "/orders/" + id + "/cancel", "", 409, "conflict"},
		{"GET", "/orders/ord_nope", "", 404, "not_found"},
		{"POST", "/orders", `{"user_id":"usr_9","items":[{"sku":"mug","quantity":1}],"card_token":"tok_visa"}`, 404, "not_found"},
		{"POST", "/orders", `{"user_id":"usr_1","items":[{"sku":"pan","quantity":3}],"card_token":"tok_visa"}`, 409, "out_of_stock"},
		{"POST", "/orders", `{"user_id":"usr_1","items":[{"sku":"mug","quantity":1}],"card_token":"tok_declined"}`, 402, "payment_declined"},
		{"POST", "/orders", `{"user_id":"usr_1","items":[]}`, 400, "bad_request"},
		{"POST", "/orders", `{"user_id":"usr_1","bogus":1}`, 400, "bad_request"},
		{"GET", "/users/usr_1/orders?limit=x", "", 400, "bad_request"},
	} {
		code, got, _ := do(tc.method, tc.path, tc.body)
		e, _ := got["error"].(map[string]any)
		if code != tc.code || e == nil || e["code"] != tc.errCode {
			t.Errorf("%s %s %s: %d %v, want %d %s", tc.method, tc.path, tc.body, code, got, tc.code, tc.errCode)
		}
	}
	if code, got, _ := do("GET", "/healthz", ""); code != 200 || got["status"] != "ok" {
		t.Errorf("healthz: %d %v", code, got)
	}
}

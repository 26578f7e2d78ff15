package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"example.com/shop/cart"
	invstore "example.com/shop/inventory/store"
	"example.com/shop/models"
	"example.com/shop/orders"
	"example.com/shop/payments"
	"example.com/shop/platform/events"
	"example.com/shop/platform/ids"
	userstore "example.com/shop/users/store"
)

// fakeDynamo answers the few DynamoDB calls the handler makes through the users, inventory and
// cart stores, over the real wire protocol, so the stores' requests are exercised as they are.
type fakeDynamo struct {
	mu    sync.Mutex
	users map[string]models.User
	stock map[string]int
	cart  map[string][]models.CartItem
	calls []string
}

type wireRequest struct {
	TableName                 string
	Key                       map[string]map[string]any
	ExpressionAttributeValues map[string]map[string]any
}

func (f *fakeDynamo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
	body, _ := io.ReadAll(r.Body)
	var req wireRequest
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, op+" "+req.TableName)
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	str := func(m map[string]map[string]any, k string) string { s, _ := m[k]["S"].(string); return s }
	switch {
	case op == "GetItem" && req.TableName == "shop":
		u, ok := f.users[strings.TrimPrefix(str(req.Key, "pk"), "USER#")]
		if !ok {
			writeJSON(w, map[string]any{})
			return
		}
		item, _ := attributevalue.MarshalMap(u)
		item["pk"], item["sk"] = &types.AttributeValueMemberS{Value: "USER#" + u.ID}, &types.AttributeValueMemberS{Value: "PROFILE"}
		writeJSON(w, map[string]any{"Item": wireMap(item)})
	case op == "GetItem" && req.TableName == "inventory":
		n, ok := f.stock[str(req.Key, "sku")]
		if !ok {
			writeJSON(w, map[string]any{})
			return
		}
		writeJSON(w, map[string]any{"Item": map[string]any{"sku": map[string]any{"S": str(req.Key, "sku")}, "on_hand": map[string]any{"N": strconv.Itoa(n)}}})
	case op == "UpdateItem" && req.TableName == "inventory":
		sku := str(req.Key, "sku")
		d, _ := strconv.Atoi(req.ExpressionAttributeValues[":d"]["N"].(string))
		n, ok := f.stock[sku]
		if !ok || n+d < 0 {
			w.WriteHeader(400)
			writeJSON(w, map[string]any{"__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException", "message": "The conditional request failed"})
			return
		}
		f.stock[sku] = n + d
		writeJSON(w, map[string]any{"Attributes": map[string]any{"sku": map[string]any{"S": sku}, "on_hand": map[string]any{"N": strconv.Itoa(n + d)}}})
	case op == "Query" && req.TableName == "shop":
		user := strings.TrimPrefix(str(req.ExpressionAttributeValues, ":pk"), "CART#")
		var items []any
		for _, it := range f.cart[user] {
			item, _ := attributevalue.MarshalMap(it)
			items = append(items, wireMap(item))
		}
		writeJSON(w, map[string]any{"Items": items, "Count": len(items)})
	case op == "BatchWriteItem":
		for user := range f.cart {
			delete(f.cart, user)
		}
		writeJSON(w, map[string]any{})
	default:
		http.Error(w, "fake dynamo: unexpected "+op+" on "+req.TableName, 500)
	}
}

func writeJSON(w io.Writer, v any) { _ = json.NewEncoder(w).Encode(v) }

func wireMap(m map[string]types.AttributeValue) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = wire(v)
	}
	return out
}

func wire(av types.AttributeValue) any {
	switch v := av.(type) {
	case *types.AttributeValueMemberS:
		return map[string]any{"S": v.Value}
	case *types.AttributeValueMemberN:
		return map[string]any{"N": v.Value}
	case *types.AttributeValueMemberBOOL:
		return map[string]any{"BOOL": v.Value}
	case *types.AttributeValueMemberNULL:
		return map[string]any{"NULL": true}
	case *types.AttributeValueMemberM:
		return map[string]any{"M": wireMap(v.Value)}
	case *types.AttributeValueMemberL:
		l := make([]any, len(v.Value))
		for i, e := range v.Value {
			l[i] = wire(e)
		}
		return map[string]any{"L": l}
	}
	panic(fmt.Sprintf("wire: unsupported %T", av))
}

type catalogFake map[string]models.Product

func (c catalogFake) Sellable(_ context.Context, sku string) (models.Product, error) {
	p, ok := c[sku]
	if !ok {
		return models.Product{}, fmt.Errorf("no product %s", sku)
	}
	return p, nil
}

type chargerFake struct{}

func (chargerFake) ChargeOrder(_ context.Context, orderID, _ string, _ models.Money, token string) (string, error) {
	if token == "tok_declined" {
		return "pay_x", payments.ErrDeclined
	}
	return "pay_" + orderID, nil
}

var paris = models.Address{Name: "Ada", Line1: "1 Rue", City: "Paris", PostalCode: "75001", Country: "FR"}

func setup(t *testing.T) (*http.ServeMux, *fakeDynamo) {
	t.Helper()
	fake := &fakeDynamo{
		users: map[string]models.User{"usr_1": {ID: "usr_1", Email: "ada@example.com", Name: "Ada", Address: &paris}},
		stock: map[string]int{"mug": 5, "pan": 1},
		cart:  map[string][]models.CartItem{},
	}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	db := dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
	h := &Handler{
		Svc: &orders.Service{
			Repo: orders.NewMemoryRepo(),
			Catalog: catalogFake{
				"mug": {SKU: "mug", Name: "Mug", Price: models.Cents(1200), Active: true},
				"pan": {SKU: "pan", Name: "Pan", Price: models.Cents(4500), Active: true},
			},
			Payments: chargerFake{},
			Events:   events.Discard{},
			IDs:      &ids.Sequence{},
			Clock:    ids.NewFixedClock(time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)),
		},
		Users: &userstore.Repo{DB: db, Table: "shop"},
		Stock: &invstore.Repo{DB: db, Table: "inventory"},
		Carts: &cart.Store{DB: db, Table: "shop"},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /orders", h.Create)
	mux.HandleFunc("GET /orders/{id}", h.Get)
	mux.HandleFunc("POST /orders/{id}/cancel", h.Cancel)
	mux.HandleFunc("GET /users/{id}/orders", h.ListByUser)
	return mux, fake
}

func do(mux http.Handler, method, path, body string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader(body)))
	return rec
}

func TestCreateTakesStockAndDefaultsAddress(t *testing.T) {
	mux, fake := setup(t)
	rec := do(mux, "POST", "/orders", `{"user_id":"usr_1","items":[{"sku":"mug","quantity":2}],"card_token":"tok_visa"}`)
	if rec.Code != http.StatusCreated {
		t.Fatalf("create = %d %s", rec.Code, rec.Body)
	}
	var o models.Order
	if err := json.Unmarshal(rec.Body.Bytes(), &o); err != nil {
		t.Fatal(err)
	}
	if o.Status != models.OrderPaid || o.ShipTo.City != "Paris" || rec.Header().Get("Location") != "/orders/"+o.ID {
		t.Errorf("order = %+v", o)
	}
	if fake.stock["mug"] != 3 {
		t.Errorf("mug stock = %d, want 3", fake.stock["mug"])
	}
	if rec := do(mux, "GET", "/orders/"+o.ID, ""); rec.Code != 200 {
		t.Errorf("get = %d", rec.Code)
	}
	if rec := do(mux, "GET", "/users/usr_1/orders", ""); !strings.Contains(rec.Body.String(), o.ID) {
		t.Errorf("list = %s", rec.Body)
	}

	if rec := do(mux, "POST", "/orders/"+o.ID+"/cancel", `{"reason":"test"}`); rec.Code != 200 {
		t.Fatalf("cancel = %d %s", rec.Code, rec.Body)
	}
	if fake.stock["mug"] != 5 {
		t.Errorf("mug stock after cancel = %d, want 5", fake.stock["mug"])
	}
	if rec := do(mux, "POST", "/orders/"+o.ID+"/cancel", ""); rec.Code != http.StatusConflict {
		t.Errorf("second cancel = %d", rec.Code)
	}
}

func TestCreateOutOfStockPutsBackWhatItTook(t *testing.T) {
	mux, fake := setup(t)
	rec := do(mux, "POST", "/orders", `{"user_id":"usr_1","items":[{"sku":"mug","quantity":1},{"sku":"pan","quantity":2}],"card_token":"tok_visa"}`)
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "out_of_stock") {
		t.Fatalf("create = %d %s", rec.Code, rec.Body)
	}
	if fake.stock["mug"] != 5 || fake.stock["pan"] != 1 {
		t.Errorf("stock = %v, want untouched", fake.stock)
	}
}

func TestCreateDeclinedPutsStockBack(t *testing.T) {
	mux, fake := setup(t)
	rec := do(mux, "POST", "/orders", `{"user_id":"usr_1","items":[{"sku":"mug","quantity":1}],"card_token":"tok_declined"}`)
	if rec.Code != http.StatusPaymentRequired || !strings.Contains(rec.Body.String(), `"status":"failed"`) {
		t.Fatalf("create = %d %s", rec.Code, rec.Body)
	}
	if fake.stock["mug"] != 5 {
		t.Errorf("mug stock = %d, want 5", fake.stock["mug"])
	}
}

func TestCreateFromCart(t *testing.T) {
	mux, fake := setup(t)
	fake.cart["usr_1"] = []models.CartItem{{SKU: "mug", Name: "Mug", Quantity: 4, UnitPrice: models.Cents(1200)}}
	rec := do(mux, "POST", "/orders", `{"user_id":"usr_1","from_cart":true,"card_token":"tok_visa"}`)
	if rec.Code != http.StatusCreated {
		t.Fatalf("create = %d %s", rec.Code, rec.Body)
	}
	if fake.stock["mug"] != 1 || len(fake.cart) != 0 {
		t.Errorf("stock %v, cart %v", fake.stock, fake.cart)
	}
}

func TestCreateRejectsBadRequests(t *testing.T) {
	mux, fake := setup(t)
	for _, tc := range []struct {
		body string
		want int
	}{
		{`{"items":[{"sku":"mug","quantity":1}],"card_token":"t"}`, 400},
		{`{"user_id":"usr_404","items":[{"sku":"mug","quantity":1}],"card_token":"t"}`, 404},
		{`{"user_id":"usr_1","card_token":"t"}`, 400},
		{`{"user_id":"usr_1","items":[{"sku":"mug","quantity":1}]}`, 400},
		{`{"user_id":"usr_1","items":[{"sku":"mug","quantity":1}],"from_cart":true,"card_token":"t"}`, 400},
		{`not json`, 400},
	} {
		if rec := do(mux, "POST", "/orders", tc.body); rec.Code != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.body, rec.Code, rec.Body, tc.want)
		}
	}
	for _, c := range fake.calls {
		if strings.HasPrefix(c, "UpdateItem") {
			t.Errorf("stock touched by a rejected request: %v", fake.calls)
			break
		}
	}
}

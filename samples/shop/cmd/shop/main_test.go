package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"example.com/shop/platform/config"
	"example.com/shop/platform/logging"
	"example.com/shop/server"
)

func TestRunRejectsBadConfig(t *testing.T) {
	err := run(context.Background(), []string{"-log-format", "xml"}, func(string) string { return "" })
	if err == nil || !strings.Contains(err.Error(), "log-format") {
		t.Errorf("err = %v", err)
	}
}

// TestWireRoutesEveryRequest wires the whole monolith against a DynamoDB stand-in that answers
// every call with an empty result, and checks that requests reach the domains' handlers.
func TestWireRoutesEveryRequest(t *testing.T) {
	var targets []string
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		targets = append(targets, r.Header.Get("X-Amz-Target"))
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = w.Write([]byte(`{}`))
	}))
	defer fake.Close()
	db := dynamodb.New(dynamodb.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(fake.URL),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
	cfg, err := config.Load(nil, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	a := wire(cfg, db, logging.Discard())
	h := server.New(logging.Discard(), a.handlers, nil)
	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/healthz", 200},
		{"GET", "/products", 200},
		{"GET", "/products/mug", 404},
		{"GET", "/inventory/mug", 404},
		{"GET", "/cart/usr_1", 200},
		{"GET", "/users/usr_1", 404},
		{"GET", "/orders/ord_1", 404},
		{"GET", "/users/usr_1/orders", 200},
		{"GET", "/payments/pay_1", 404},
		{"GET", "/shipments/shp_1", 404},
		{"GET", "/notifications/usr_1", 200},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
		if rec.Code != tc.want {
			t.Errorf("%s %s = %d, want %d: %s", tc.method, tc.path, rec.Code, tc.want, rec.Body)
		}
		if rec.Code == 200 && !json.Valid(rec.Body.Bytes()) {
			t.Errorf("%s %s: body is not JSON: %s", tc.method, tc.path, rec.Body)
		}
	}
	if len(targets) == 0 {
		t.Error("no DynamoDB calls were made")
	}
}

package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"example.com/shop/platform/logging"
)

func TestWriteErrorMapsAPIErrors(t *testing.T) {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/x", nil)
	WriteError(rec, req, fmt.Errorf("loading: %w", NotFound("order %s", "o1")))
	if rec.Code != http.StatusNotFound {
		t.Fatalf("status = %d", rec.Code)
	}
	var body struct{ Error Error }
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if body.Error.Code != "not_found" || body.Error.Message != "order o1" {
		t.Errorf("body = %+v", body)
	}
}

func TestWriteErrorHidesInternalErrors(t *testing.T) {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/x", nil)
	req = req.WithContext(logging.With(req.Context(), logging.Discard()))
	WriteError(rec, req, errors.New("dynamodb: secret detail"))
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "secret") {
		t.Errorf("status %d body %s", rec.Code, rec.Body)
	}
}

func TestDecode(t *testing.T) {
	type in struct {
		Name string `json:"name"`
	}
	for _, tc := range []struct {
		body   string
		status int
	}{
		{`{"name":"a"}`, 0},
		{``, 400},
		{`{"name":"a","extra":1}`, 400},
		{`{"name":"a"} {}`, 400},
		{`{"name":"` + strings.Repeat("a", MaxBodyBytes) + `"}`, 413},
	} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", "/", bytes.NewBufferString(tc.body))
		var v in
		err := Decode(rec, req, &v)
		var apiErr *Error
		switch {
		case tc.status == 0 && err != nil:
			t.Errorf("%.20q: unexpected error %v", tc.body, err)
		case tc.status != 0 && (!errors.As(err, &apiErr) || apiErr.Status != tc.status):
			t.Errorf("%.20q: err = %v, want status %d", tc.body, err, tc.status)
		}
	}
}

func TestMiddleware(t *testing.T) {
	h := Chain(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }),
		RequestID(logging.Discard()), AccessLog(), Recover())
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set(RequestIDHeader, "abc")
	h.ServeHTTP(rec, req)
	if rec.Code != 500 {
		t.Errorf("status = %d", rec.Code)
	}
	if got := rec.Header().Get(RequestIDHeader); got != "abc" {
		t.Errorf("request id = %q", got)
	}
}

func TestQueryInt(t *testing.T) {
	req := httptest.NewRequest("GET", "/?limit=5&bad=x", nil)
	if n, err := QueryInt(req, "limit", 10); err != nil || n != 5 {
		t.Errorf("limit = %d, %v", n, err)
	}
	if n, _ := QueryInt(req, "missing", 10); n != 10 {
		t.Errorf("default = %d", n)
	}
	if _, err := QueryInt(req, "bad", 10); err == nil {
		t.Error("want error")
	}
}

package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the server's logger and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestRunServesAndStops wires the service against a DynamoDB endpoint nobody listens on:
// /healthz answers 503 naming the table, the answer carries X-Served-By, and cancelling the
// context shuts the server down cleanly.
func TestRunServesAndStops(t *testing.T) {
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs syncBuffer
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, []string{"-addr", addr, "-dynamodb-endpoint", "http://" + freeAddr(t), "-monolith", "http://127.0.0.1:1", "-shutdown-timeout", "2s"}, &logs)
	}()
	var resp *http.Response
	deadline := time.Now().Add(10 * time.Second)
	for {
		var err error
		resp, err = http.Get("http://" + addr + "/healthz")
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never answered: %v\n%s", err, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("X-Served-By") != "shop-orders" {
		t.Errorf("healthz without DynamoDB: %d %v", resp.StatusCode, resp.Header)
	}
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after cancel")
	}
	if !strings.Contains(logs.String(), "shop-orders listening") {
		t.Errorf("log lacks the start line:\n%s", logs.String())
	}
}

func TestRunRejectsBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"-monolith", "127.0.0.1:9000", "-addr", "127.0.0.1:0"}, `monolith URL "127.0.0.1:9000": want http://host:port`},
		{[]string{"-bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"-fault-rate", "2"}, "-fault-rate: fault rate 2: want a fraction from 0 to 1"},
		{[]string{"-fault-field", "currency"}, `-fault-field: fault field "currency": want NAME=VALUE, e.g. currency=USD`},
	} {
		var logs syncBuffer
		err := run(context.Background(), tc.args, &logs)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%v: error %v, want %q", tc.args, err, tc.msg)
		}
	}
}

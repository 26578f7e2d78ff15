package strangler

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
)

// The admin client against a real admin API on loopback: weights read and set, every route's
// weights, and the API's refusals as *AdminError.
func TestAdminClientWeights(t *testing.T) {
	mono, orders := newBackend(t, "monolith"), newBackend(t, "orders")
	r := start(t, twoSided(mono.URL(), orders.URL(), ""), startOpts{env: map[string]string{"TOKEN": "tok"}})
	ctx := context.Background()
	c, err := NewAdminClient(r.admin+"/", "tok", nil)
	if err != nil {
		t.Fatal(err)
	}
	w, err := c.Weights(ctx, "orders")
	if err != nil || w.Route != "orders" || w.Weights["orders"] != 25 || w.Weights["monolith"] != 75 {
		t.Fatalf("Weights = %+v, %v", w, err)
	}
	ch, err := c.SetWeights(ctx, "orders", map[string]int{"orders": 50, "monolith": 50})
	if err != nil || ch.Route != "orders" || ch.Old["orders"] != 25 || ch.New["orders"] != 50 || ch.New["monolith"] != 50 {
		t.Fatalf("SetWeights = %+v, %v", ch, err)
	}
	all, err := c.AllWeights(ctx)
	if err != nil || all["orders"]["orders"] != 50 || all["default"]["monolith"] != 1 {
		t.Fatalf("AllWeights = %v, %v", all, err)
	}

	refused := func(what string, err error, status int, msg string) {
		t.Helper()
		var ae *AdminError
		if !errors.As(err, &ae) || ae.StatusCode != status || !ae.Refused() || !strings.Contains(ae.Message, msg) {
			t.Errorf("%s: %v, want a refused %d saying %q", what, err, status, msg)
		}
	}
	_, err = c.Weights(ctx, "nope")
	refused("unknown route", err, http.StatusNotFound, `route "nope" is not configured`)
	_, err = c.SetWeights(ctx, "orders", map[string]int{"payments": 1})
	refused("unknown upstream", err, http.StatusUnprocessableEntity, `unknown upstream "payments"`)
	wrong, _ := NewAdminClient(r.admin, "wrong", nil)
	_, err = wrong.AllWeights(ctx)
	refused("wrong token", err, http.StatusUnauthorized, "bearer token")
	if w, _ := c.Weights(ctx, "orders"); w.Weights["orders"] != 50 {
		t.Errorf("a refused change changed the weights: %+v", w)
	}
}

// Rollout status and control, and a diff of a route without shadow traffic (404).
func TestAdminClientRollout(t *testing.T) {
	mono, _ := rolloutBackend(t, 10, 0)
	cand, _ := rolloutBackend(t, 10, 0)
	r := startClocked(t, rolloutConfig(mono.URL, cand.URL, ""), newFakeClock())
	waitPercent(t, r, 10)
	ctx := context.Background()
	c, err := NewAdminClient(r.admin, token["TOKEN"], nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.Rollout(ctx, "orders")
	if err != nil || st.Route != "orders" || st.State != RolloutRunning || st.Percent != 10 || st.Candidate != "orders" {
		t.Fatalf("Rollout = %+v, %v", st, err)
	}
	if st, err = c.ControlRollout(ctx, "orders", "pause"); err != nil || st.State != RolloutPaused {
		t.Fatalf("pause = %+v, %v", st, err)
	}
	if st, err = c.ControlRollout(ctx, "orders", "abort"); err != nil || st.State != RolloutAborted || st.Percent != 0 {
		t.Fatalf("abort = %+v, %v", st, err)
	}
	var ae *AdminError
	if _, err = c.ControlRollout(ctx, "orders", "explode"); !errors.As(err, &ae) || !ae.Refused() {
		t.Errorf("unknown action: %v, want a refusal", err)
	}
	if _, err = c.Diff(ctx, "orders", 5); !errors.As(err, &ae) || ae.StatusCode != http.StatusNotFound {
		t.Errorf("diff without shadow: %v, want 404", err)
	}
}

// A URL that is not an admin API's is refused up front; a proxy that is not there is a plain
// error that says so, not an *AdminError.
func TestAdminClientBadAddress(t *testing.T) {
	for _, base := range []string{"127.0.0.1:9901", "ftp://127.0.0.1", "http://", "::"} {
		if _, err := NewAdminClient(base, "", nil); err == nil {
			t.Errorf("NewAdminClient(%q): no error", base)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c, err := NewAdminClient("http://"+addr, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.AllWeights(context.Background())
	var ae *AdminError
	if err == nil || errors.As(err, &ae) || !strings.Contains(err.Error(), "is the proxy running") {
		t.Errorf("unreachable proxy: %v", err)
	}
}

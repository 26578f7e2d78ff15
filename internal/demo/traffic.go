package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// injectedHeader marks the faulty build's deliberate failures (samples/shop-orders/fault).
const injectedHeader = "Injected-Fault"

// skus are the seeded products the traffic orders (1000 units each).
var skus = []string{"mug-blue", "mug-red", "pan-28", "tee-s", "tee-m", "tote"}

// stepStats counts what happened while one step of weights was in force.
type stepStats struct {
	name   string // the phase and the service's share, e.g. "rollout 10%"
	weight int    // the service's share, percent
	// faults are answers the faulty build failed on purpose (Injected-Fault: rate); errors are
	// every other failed request.
	requests, errors, faults, staleReads int
	byService, byMonolith                int
	created, cancelled                   int
	lags                                 []time.Duration // writes of this step, from the 2xx to both tables holding it
	late                                 int             // writes replicated after the lag bound
	errorSamples                         []string
}

// write is an order write the probe waits to see in both tables.
type write struct {
	id, status string
	at         time.Time
	step       int // -1: before sync started (replicated by backfill, no lag bound)
}

// order is what the traffic knows of one order it created.
type order struct {
	id, user, status string
	byService        bool // placed through the service
	replicated       bool // the last write is in both tables
}

// traffic drives shop requests through the proxy and measures replication of every write.
type traffic struct {
	proxy    string
	db       *dynamodb.Client
	tables   [2]string // monolith's, service's
	lagBound time.Duration
	pace     time.Duration

	step   atomic.Int32
	paused atomic.Bool
	active atomic.Int32 // customers in the middle of a round
	mu     sync.Mutex
	steps  []*stepStats
	orders map[string]*order
	byUser map[string][]*order
	queue  []write
	all    []string // order ids in creation order
}

func newTraffic(proxy string, db *dynamodb.Client, monolithTable, serviceTable string, lagBound, pace time.Duration) *traffic {
	return &traffic{proxy: proxy, db: db, tables: [2]string{monolithTable, serviceTable}, lagBound: lagBound, pace: pace,
		orders: map[string]*order{}, byUser: map[string][]*order{}, steps: []*stepStats{{name: "start"}}}
}

// begin starts counting a new row of the table: what happens while the service has weight%
// of the orders route in the phase name.
func (t *traffic) begin(name string, weight int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.steps = append(t.steps, &stepStats{name: name, weight: weight})
	t.step.Store(int32(len(t.steps) - 1))
}

// current returns the row being counted.
func (t *traffic) current() stepStats {
	t.mu.Lock()
	defer t.mu.Unlock()
	return *t.stats()
}

func (t *traffic) stats() *stepStats { return t.steps[t.step.Load()] }

// errInjected is an answer the faulty build failed on purpose (counted as a fault, not an error).
var errInjected = errors.New("fault injected by the faulty build")

// failed counts err as a failed request of the current step unless it was injected on purpose
// or the demo is ending.
func (t *traffic) failed(ctx context.Context, err error) {
	if ctx.Err() == nil && !errors.Is(err, errInjected) {
		t.fail("%v", err)
	}
}

// fail counts a failed request of the current step, keeping the first few messages.
func (t *traffic) fail(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.stats()
	s.errors++
	if len(s.errorSamples) < 5 {
		s.errorSamples = append(s.errorSamples, fmt.Sprintf(format, args...))
	}
}

// served counts a request and which side answered it.
func (t *traffic) served(resp *http.Response) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.stats()
	s.requests++
	if resp.Header.Get("X-Served-By") == "shop-orders" {
		s.byService++
	} else {
		s.byMonolith++
	}
}

// track records a write for the probe.
func (t *traffic) track(o *order, status string, step int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.orders[o.id]; !ok {
		t.orders[o.id] = o
		t.byUser[o.user] = append(t.byUser[o.user], o)
		t.all = append(t.all, o.id)
	}
	o.status, o.replicated = status, false
	t.queue = append(t.queue, write{id: o.id, status: status, at: time.Now(), step: step})
}

// pending returns how many writes the probe has not yet seen in both tables.
func (t *traffic) pending() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.queue)
}

// probe polls both tables for the queued writes until ctx ends; a write is replicated when
// both tables hold the order with the status the client was answered.
func (t *traffic) probe(ctx context.Context) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		t.mu.Lock()
		batch := slices.Clone(t.queue[:min(len(t.queue), 50)])
		t.mu.Unlock()
		if len(batch) == 0 {
			continue
		}
		seen, err := t.read(ctx, batch)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		now := time.Now()
		t.mu.Lock()
		keep := t.queue[:0]
		for _, w := range t.queue {
			if !seen[w.id+"|"+w.status] {
				keep = append(keep, w)
				continue
			}
			if o := t.orders[w.id]; o != nil && o.status == w.status {
				o.replicated = true
			}
			if w.step >= 0 {
				lag := now.Sub(w.at)
				s := t.steps[w.step]
				s.lags = append(s.lags, lag)
				if lag > t.lagBound {
					s.late++
				}
			}
		}
		t.queue = keep
		t.mu.Unlock()
	}
}

// read returns "id|status" for every write of batch that both tables hold.
func (t *traffic) read(ctx context.Context, batch []write) (map[string]bool, error) {
	keys := make([]map[string]types.AttributeValue, 0, len(batch))
	seenKey := map[string]bool{}
	for _, w := range batch {
		if seenKey[w.id] {
			continue
		}
		seenKey[w.id] = true
		keys = append(keys, map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "ORDER#" + w.id}, "sk": &types.AttributeValueMemberS{Value: "META"}})
	}
	req := map[string]types.KeysAndAttributes{}
	for _, tb := range t.tables {
		req[tb] = types.KeysAndAttributes{Keys: keys, ConsistentRead: aws.Bool(true),
			ProjectionExpression: aws.String("id, #s"), ExpressionAttributeNames: map[string]string{"#s": "status"}}
	}
	out, err := t.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
	if err != nil {
		return nil, fmt.Errorf("probe: reading orders from %s and %s: %w", t.tables[0], t.tables[1], err)
	}
	count := map[string]int{}
	for _, items := range out.Responses {
		for _, it := range items {
			id, _ := it["id"].(*types.AttributeValueMemberS)
			st, _ := it["status"].(*types.AttributeValueMemberS)
			if id != nil && st != nil {
				count[id.Value+"|"+st.Value]++
			}
		}
	}
	seen := map[string]bool{}
	for k, n := range count {
		seen[k] = n == 2
	}
	return seen, nil
}

// user is one simulated customer with its own cookie jar, so the proxy's sticky cookie keeps
// it on one side.
type user struct {
	id     string
	client *http.Client
}

func newUser(id string, tr http.RoundTripper) *user {
	jar, _ := cookiejar.New(nil)
	return &user{id: id, client: &http.Client{Jar: jar, Transport: tr, Timeout: 15 * time.Second}}
}

// sessionRounds is how many rounds a customer's session (its sticky cookie) lasts: a new
// session may land on the other side, as a returning visitor would. Short sessions make the
// service's share of a few seconds' traffic close to its weight.
const sessionRounds = 4

// newSession forgets the customer's cookies.
func (u *user) newSession() {
	jar, _ := cookiejar.New(nil)
	u.client.Jar = jar
}

// do sends one request through the proxy and decodes a JSON answer into out. It returns the
// status and whether the service (not the monolith) answered.
func (t *traffic) do(ctx context.Context, u *user, method, path string, body any, out any) (int, bool, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, t.proxy+path, rd)
	if err != nil {
		return 0, false, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := u.client.Do(req)
	if err != nil {
		return 0, false, err
	}
	defer resp.Body.Close()
	byService := resp.Header.Get("X-Served-By") == "shop-orders"
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, byService, err
	}
	t.served(resp)
	if resp.Header.Get(injectedHeader) == "rate" {
		t.mu.Lock()
		t.stats().faults++
		t.mu.Unlock()
		return resp.StatusCode, byService, fmt.Errorf("%s %s: %d: %w", method, path, resp.StatusCode, errInjected)
	}
	if out != nil && resp.StatusCode/100 == 2 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, byService, fmt.Errorf("decoding %s %s answer: %w", method, path, err)
		}
	}
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, byService, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, bytes.TrimSpace(b))
	}
	return resp.StatusCode, byService, nil
}

// run drives one user until ctx ends: place an order and read it back; every third round list
// the user's orders; every fourth cancel one of its replicated paid orders. A read that finds
// no order written a moment ago on the other side (the user moved sides with a weight change
// before the write replicated) is retried within the lag bound and counted as a stale read;
// anything else that is not the expected answer is a failed request.
//
// The user finishes the round in hand when stop closes, so every write it was answered for
// is tracked; ctx ends requests in flight only when the whole demo is aborted.
func (t *traffic) run(ctx context.Context, stop <-chan struct{}, u *user, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 7))
	for i := 1; ctx.Err() == nil; i++ {
		select {
		case <-stop:
			return
		default:
		}
		// Count this round before looking at the pause flag, so pause never misses it.
		t.active.Add(1)
		if t.paused.Load() {
			t.active.Add(-1)
			select {
			case <-ctx.Done():
				return
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			continue
		}
		t.round(ctx, u, rng, i)
		t.active.Add(-1)
		select {
		case <-ctx.Done():
		case <-stop:
		case <-time.After(t.pace):
		}
	}
}

// pause stops customers at the end of their round and waits until every round in flight has
// finished (its writes tracked).
func (t *traffic) pause(ctx context.Context) error {
	t.paused.Store(true)
	for t.active.Load() > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}

// round is one customer's round.
func (t *traffic) round(ctx context.Context, u *user, rng *rand.Rand, i int) {
	if i%sessionRounds == 0 {
		u.newSession()
	}
	step := int(t.step.Load())
	var placed struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	body := map[string]any{"user_id": u.id, "card_token": "tok_visa",
		"items": []map[string]any{{"sku": skus[rng.IntN(len(skus))], "quantity": 1 + rng.IntN(2)}}}
	_, byService, err := t.do(ctx, u, http.MethodPost, "/orders", body, &placed)
	if err != nil {
		t.failed(ctx, err)
		return
	}
	if placed.Status != "paid" {
		t.fail("POST /orders: order %s is %q, want paid", placed.ID, placed.Status)
	}
	o := &order{id: placed.ID, user: u.id, byService: byService}
	t.track(o, placed.Status, step)
	t.mu.Lock()
	t.steps[step].created++
	t.mu.Unlock()
	t.readBack(ctx, u, o.id)

	if i%3 == 0 {
		var list struct {
			Orders []json.RawMessage `json:"orders"`
		}
		if _, _, err := t.do(ctx, u, http.MethodGet, "/users/"+u.id+"/orders?limit=5", nil, &list); err != nil {
			t.failed(ctx, err)
		}
	}
	if i%4 == 0 {
		t.cancelOne(ctx, u, rng)
	}
}

// readBack reads an order just placed, retrying a 404 within the lag bound.
func (t *traffic) readBack(ctx context.Context, u *user, id string) {
	deadline := time.Now().Add(t.lagBound)
	for {
		code, _, err := t.do(ctx, u, http.MethodGet, "/orders/"+id, nil, nil)
		if err == nil || ctx.Err() != nil {
			return
		}
		if code == http.StatusNotFound && time.Now().Before(deadline) {
			t.mu.Lock()
			t.stats().staleReads++
			t.mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-time.After(50 * time.Millisecond):
			}
			continue
		}
		t.failed(ctx, err)
		return
	}
}

// cancelOne cancels one of the user's paid orders whose last write both tables hold.
func (t *traffic) cancelOne(ctx context.Context, u *user, rng *rand.Rand) {
	t.mu.Lock()
	var cands []*order
	for _, o := range t.byUser[u.id] {
		if o.status == "paid" && o.replicated {
			cands = append(cands, o)
		}
	}
	t.mu.Unlock()
	if len(cands) == 0 {
		return
	}
	o := cands[rng.IntN(len(cands))]
	step := int(t.step.Load())
	var got struct {
		Status string `json:"status"`
	}
	if _, _, err := t.do(ctx, u, http.MethodPost, "/orders/"+o.id+"/cancel", map[string]string{"reason": "demo"}, &got); err != nil {
		t.failed(ctx, err)
		return
	}
	if got.Status != "cancelled" {
		t.fail("POST /orders/%s/cancel: status %q, want cancelled", o.id, got.Status)
	}
	t.track(o, "cancelled", step)
	t.mu.Lock()
	t.steps[step].cancelled++
	t.mu.Unlock()
}

// checkAll reads every order through the proxy and returns those that are missing, have
// another status than their last write, or were answered by the wrong side.
func (t *traffic) checkAll(ctx context.Context, u *user, wantService bool) (checked, placedByService int, bad []string, err error) {
	t.mu.Lock()
	type want struct{ id, status string }
	var all []want
	for _, id := range t.all {
		all = append(all, want{id, t.orders[id].status})
		if t.orders[id].byService {
			placedByService++
		}
	}
	t.mu.Unlock()
	for _, w := range all {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, t.proxy+"/orders/"+w.id, nil)
		resp, err := u.client.Do(req)
		if err != nil {
			return checked, placedByService, bad, fmt.Errorf("reading order %s through the proxy: %w", w.id, err)
		}
		var got struct {
			Status string `json:"status"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		byService := resp.Header.Get("X-Served-By") == "shop-orders"
		checked++
		switch {
		case resp.StatusCode != http.StatusOK:
			bad = append(bad, fmt.Sprintf("%s: %d", w.id, resp.StatusCode))
		case got.Status != w.status:
			bad = append(bad, fmt.Sprintf("%s: status %q, want %q", w.id, got.Status, w.status))
		case byService != wantService:
			bad = append(bad, fmt.Sprintf("%s: answered by the service %v, want %v", w.id, byService, wantService))
		}
	}
	return checked, placedByService, bad, nil
}

// percentile returns the p-th percentile (0..1) of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(p*float64(len(s)-1) + 0.5)
	return s[i]
}

// describe says what both tables hold of an order, for a diagnostic.
func (t *traffic) describe(ctx context.Context, id string) string {
	var parts []string
	for _, tb := range t.tables {
		out, err := t.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(tb), ConsistentRead: aws.Bool(true),
			Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "ORDER#" + id}, "sk": &types.AttributeValueMemberS{Value: "META"}}})
		switch {
		case err != nil:
			parts = append(parts, tb+": "+err.Error())
		case out.Item == nil:
			parts = append(parts, tb+": absent")
		default:
			st, _ := out.Item["status"].(*types.AttributeValueMemberS)
			up, _ := out.Item["updated_at"].(*types.AttributeValueMemberS)
			org, _ := out.Item["_carve_origin"].(*types.AttributeValueMemberS)
			f := func(v *types.AttributeValueMemberS) string {
				if v == nil {
					return "-"
				}
				return v.Value
			}
			parts = append(parts, fmt.Sprintf("%s: %s updated %s origin %s", tb, f(st), f(up), f(org)))
		}
	}
	return strings.Join(parts, "; ")
}

package strangler

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// AdminClient calls a running proxy's admin API (AdminHandler) and decodes its answers into the
// types the API encodes them from: what `carve proxy weights`, `diff` and `rollout` send.
type AdminClient struct {
	base  string
	token string
	http  *http.Client
}

// adminAnswerLimit bounds an answer read from the admin API (a diff report with examples is the
// largest).
const adminAnswerLimit = 8 << 20

// NewAdminClient returns a client of the admin API at base, an http or https URL such as
// http://127.0.0.1:9901, sending token as the bearer token when it is not empty. hc nil is a
// client that gives up on a call after 30 seconds.
func NewAdminClient(base, token string, hc *http.Client) (*AdminClient, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("want an http or https URL with a host, e.g. http://127.0.0.1:9901")
	}
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &AdminClient{base: strings.TrimSuffix(base, "/"), token: token, http: hc}, nil
}

// RouteWeights is one route's weights as GET /routes/{name}/weights answers them.
type RouteWeights struct {
	Route   string         `json:"route"`
	Version int64          `json:"version"`
	Weights map[string]int `json:"weights"`
}

// AdminError is an answer of the admin API other than 200 OK.
type AdminError struct {
	Method, URL string
	// StatusCode and Status are the HTTP status ("404 Not Found").
	StatusCode int
	Status     string
	// Message is the API's error message, or the answer's body when it has none.
	Message string
}

func (e *AdminError) Error() string {
	return fmt.Sprintf("admin API %s %s: %s: %s", e.Method, e.URL, e.Status, e.Message)
}

// Refused reports whether the API refused the request itself — a bad body or parameter, an
// unknown route, a missing token, weights that do not validate — so that the caller has to
// change it, rather than the proxy failing to carry it out.
func (e *AdminError) Refused() bool {
	switch e.StatusCode {
	case http.StatusBadRequest, http.StatusNotFound, http.StatusUnprocessableEntity, http.StatusUnauthorized:
		return true
	}
	return false
}

// Weights returns route's current weights.
func (c *AdminClient) Weights(ctx context.Context, route string) (RouteWeights, error) {
	var w RouteWeights
	err := c.call(ctx, http.MethodGet, routePath(route, "weights"), nil, &w)
	return w, err
}

// SetWeights sets route's weights (validated by the proxy; in fleet mode written to the shared
// store) and returns the change.
func (c *AdminClient) SetWeights(ctx context.Context, route string, weights map[string]int) (WeightChange, error) {
	var ch WeightChange
	err := c.call(ctx, http.MethodPut, routePath(route, "weights"), WeightsRequest{Weights: weights}, &ch)
	return ch, err
}

// AllWeights returns every route's weights by route name.
func (c *AdminClient) AllWeights(ctx context.Context) (map[string]map[string]int, error) {
	var body struct {
		Weights map[string]map[string]int `json:"weights"`
	}
	err := c.call(ctx, http.MethodGet, "/weights", nil, &body)
	return body.Weights, err
}

// Diff returns route's shadow results with the top most frequently differing fields.
func (c *AdminClient) Diff(ctx context.Context, route string, top int) (DiffReport, error) {
	var r DiffReport
	err := c.call(ctx, http.MethodGet, routePath(route, "diff")+"?top="+strconv.Itoa(top), nil, &r)
	return r, err
}

// Rollout returns the status of route's automatic rollout.
func (c *AdminClient) Rollout(ctx context.Context, route string) (RolloutStatus, error) {
	var s RolloutStatus
	err := c.call(ctx, http.MethodGet, routePath(route, "rollout"), nil, &s)
	return s, err
}

// ControlRollout pauses, resumes or aborts route's rollout (action "pause", "resume" or
// "abort") and returns its status after.
func (c *AdminClient) ControlRollout(ctx context.Context, route, action string) (RolloutStatus, error) {
	var s RolloutStatus
	err := c.call(ctx, http.MethodPost, routePath(route, "rollout")+"/"+url.PathEscape(action), nil, &s)
	return s, err
}

func routePath(route, what string) string { return "/routes/" + url.PathEscape(route) + "/" + what }

// call sends one request (body, when not nil, as JSON) and decodes a 200 answer into out; any
// other answer is an *AdminError.
func (c *AdminClient) call(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	u := c.base + path
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("reach the proxy's admin API at %s: %w; is the proxy running, and is that its admin address?", c.base, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, adminAnswerLimit))
	if err != nil {
		return fmt.Errorf("read the admin API's answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		msg := strings.TrimSpace(string(raw))
		if json.Unmarshal(raw, &e) == nil && e.Error != "" {
			msg = e.Error
		}
		return &AdminError{Method: method, URL: u, StatusCode: resp.StatusCode, Status: resp.Status, Message: msg}
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("admin API %s %s answered %q: %w", method, u, raw, err)
	}
	return nil
}

// Package ryw keeps read-your-writes across a weight change: a user whose last write went to
// one side of a split, and whom the split now sends to the other, stays on the first side until
// the sync feeding the other side has applied changes at least as recent as that write — or
// until a maximum wait, after which the user is moved anyway and counted.
//
// The proxy records the side and time of a user's last successful write in a signed cookie
// (HMAC-SHA256, so a client cannot forge an older write to jump sides or a newer one to stay).
// The sync job publishes its applied watermark (carve sync's /watermark endpoint: changes created
// up to then are applied to its sinks); the proxy reads it at most once per Refresh per source,
// and only for users whose side changed.
package ryw

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Refresh is how long a watermark read is reused.
const Refresh = 25 * time.Millisecond

// fetchTimeout bounds one watermark read: a sync that does not answer holds users no longer
// than this per request (they stay on their side, as when the watermark is behind).
const fetchTimeout = 250 * time.Millisecond

// Source is one sync job's watermark endpoint.
type Source struct {
	URL    string
	Client *http.Client

	mu      sync.Mutex
	at      time.Time // when wm was read
	wm      time.Time
	lastErr error
}

// Watermark returns the job's applied watermark, read again when the last read is older than
// Refresh. On an error the previous value (zero if none) is returned with the error.
func (s *Source) Watermark(ctx context.Context, now time.Time) (time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if now.Sub(s.at) < Refresh {
		return s.wm, s.lastErr
	}
	s.at = now
	wm, err := s.fetch(ctx)
	s.lastErr = err
	if err == nil && wm.After(s.wm) {
		s.wm = wm
	}
	return s.wm, err
}

func (s *Source) fetch(ctx context.Context) (time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL, nil)
	if err != nil {
		return time.Time{}, fmt.Errorf("watermark %s: %w", s.URL, err)
	}
	c := s.Client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return time.Time{}, fmt.Errorf("watermark %s: %w", s.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return time.Time{}, fmt.Errorf("watermark %s: status %d", s.URL, resp.StatusCode)
	}
	var body struct {
		UnixMs *int64 `json:"watermark_unix_ms"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&body); err != nil || body.UnixMs == nil {
		return time.Time{}, fmt.Errorf("watermark %s: no watermark_unix_ms in the answer", s.URL)
	}
	return time.UnixMilli(*body.UnixMs), nil
}

// Guard applies read-your-writes to one route.
type Guard struct {
	// Cookie is the name of the cookie holding the last write.
	Cookie string
	// MaxWait is the longest a user is held on the old side after a write.
	MaxWait time.Duration
	// Sources gives, per upstream name, the watermark of the sync that feeds it. A side without
	// one is not guarded: nothing tells when a write reached it.
	Sources map[string]*Source

	key []byte

	// Held counts requests kept on the side of the last write; Forced those moved after
	// MaxWait with the watermark still behind. Nil counts nothing.
	Held, Forced Counter
}

// Counter is a monotonic count (a Prometheus counter).
type Counter interface{ Inc() }

func inc(c Counter) {
	if c != nil {
		c.Inc()
	}
}

// NewGuard returns a guard signing its cookie with key.
func NewGuard(cookie string, key []byte, maxWait time.Duration, sources map[string]*Source) (*Guard, error) {
	if len(key) < 16 {
		return nil, errors.New("read-your-writes: the signing key must have at least 16 bytes")
	}
	return &Guard{Cookie: cookie, MaxWait: maxWait, Sources: sources, key: key}, nil
}

// IsWrite reports whether a request with this method changes state.
func IsWrite(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return false
	}
	return true
}

// Mark is the cookie value recording a write to side at t; held, when not zero, is when the
// user was first kept on that side after the split had moved them (max_wait counts from it).
func (g *Guard) Mark(side string, t, held time.Time) string {
	h := int64(0)
	if !held.IsZero() {
		h = held.UnixMilli()
	}
	v := side + "." + strconv.FormatInt(t.UnixMilli(), 10) + "." + strconv.FormatInt(h, 10)
	return v + "." + g.sign(v)
}

func (g *Guard) setCookie(value string, secure bool) string {
	c := &http.Cookie{Name: g.Cookie, Value: value, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: secure, MaxAge: int((g.MaxWait + time.Minute) / time.Second)}
	return c.String()
}

func (g *Guard) sign(v string) string {
	m := hmac.New(sha256.New, g.key)
	m.Write([]byte(v))
	return hex.EncodeToString(m.Sum(nil)[:12])
}

// parse reads a cookie value; ok is false for a missing, malformed or forged one.
func (g *Guard) parse(v string) (side string, at, held time.Time, ok bool) {
	i := strings.LastIndexByte(v, '.')
	if i < 0 || !hmac.Equal([]byte(v[i+1:]), []byte(g.sign(v[:i]))) {
		return "", time.Time{}, time.Time{}, false
	}
	f := strings.Split(v[:i], ".")
	if len(f) < 3 {
		return "", time.Time{}, time.Time{}, false
	}
	n := len(f)
	atMs, err1 := strconv.ParseInt(f[n-2], 10, 64)
	heldMs, err2 := strconv.ParseInt(f[n-1], 10, 64)
	if err1 != nil || err2 != nil {
		return "", time.Time{}, time.Time{}, false
	}
	if heldMs != 0 {
		held = time.UnixMilli(heldMs)
	}
	return strings.Join(f[:n-2], "."), time.UnixMilli(atMs), held, true
}

// Visit is what Choose decided for one request, for the cookie its response sets.
type Visit struct {
	g     *Guard
	write bool
	side  string // the side the request goes to
	// held is when the user was first kept on side (zero when the request is not held);
	// at is their last write's time, kept when a read is held.
	held, at time.Time
	markHeld bool // the cookie does not say yet since when the user is held
}

// Choose returns the side a request goes to — chosen, unless the user's cookie says they last
// wrote to another side whose write the sync toward chosen has not applied: then that side,
// for at most MaxWait from the first request so held — and what its response must record.
// sides names the split's sides by index; write says the request changes state.
func (g *Guard) Choose(ctx context.Context, cookie string, chosen int, sides []string, now time.Time, write bool) (int, Visit) {
	v := Visit{g: g, write: write, side: sides[chosen]}
	if cookie == "" {
		return chosen, v
	}
	side, at, held, ok := g.parse(cookie)
	if !ok || side == sides[chosen] {
		return chosen, v
	}
	prev := slices.Index(sides, side)
	src := g.Sources[sides[chosen]]
	if prev < 0 || src == nil {
		return chosen, v // the side written to left the split, or nothing tells when writes reach the new one
	}
	if wm, _ := src.Watermark(ctx, now); !wm.Before(at) {
		return chosen, v // the sync has applied the write: the new side has it
	}
	if !held.IsZero() && now.Sub(held) > g.MaxWait {
		inc(g.Forced)
		return chosen, v
	}
	inc(g.Held)
	v.side, v.at, v.held, v.markHeld = side, at, held, held.IsZero()
	if v.markHeld {
		v.held = now
	}
	return prev, v
}

// SetCookie is the Set-Cookie value the response to the request must carry, or "": a
// successful write records its side and time (and, when it was held, since when); a held
// request records since when the user is held, once.
func (v Visit) SetCookie(status int, now time.Time, secure bool) string {
	switch {
	case v.g == nil:
		return ""
	case v.write && status > 0 && status < 400:
		return v.g.setCookie(v.g.Mark(v.side, now, v.held), secure)
	case v.markHeld:
		return v.g.setCookie(v.g.Mark(v.side, v.at, v.held), secure)
	}
	return ""
}

package strangler

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/pprof"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/carve-dev/carve/strangler/config"
)

// WeightsRequest is the body of PUT/POST /routes/{name}/weights.
type WeightsRequest struct {
	Weights map[string]int `json:"weights"`
}

// AdminHandler serves the admin API:
//
//	GET  /routes                  routes, their matches and current weights
//	GET  /weights                 every route's weights
//	GET  /routes/{name}/weights   one route's weights
//	PUT  /routes/{name}/weights   set them: {"weights": {"orders": 50, "monolith": 50}}
//	GET  /upstreams               targets and their health
//	GET  /routes/{name}/diff      shadow results: top differing fields with redacted examples (?top=N)
//	GET  /routes/{name}/rollout   automatic rollout status
//	POST /routes/{name}/rollout/{pause|resume|abort}
//	GET  /metrics                 Prometheus metrics
//	GET  /debug/pprof/...         Go profiles of the running proxy (only with a token)
//	GET  /healthz, /readyz        liveness and readiness (no token needed)
//
// With token non-empty every other endpoint requires "Authorization: Bearer <token>".
// Without one, Run serves it on loopback only, and adminHostOnly refuses requests whose Host is
// not that loopback address (DNS rebinding).
func (p *Proxy) AdminHandler(token string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /readyz", p.serveReady)
	auth := func(h http.HandlerFunc) http.Handler { return requireToken(token, h) }
	mux.Handle("GET /metrics", requireToken(token, promhttp.HandlerFor(p.m.reg, promhttp.HandlerOpts{})))
	mux.Handle("GET /routes", auth(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"routes": p.Routes()})
	}))
	mux.Handle("GET /weights", auth(p.serveAllWeights))
	mux.Handle("GET /routes/{name}/weights", auth(p.serveRouteWeights))
	set := auth(p.serveSetWeights)
	mux.Handle("PUT /routes/{name}/weights", set)
	mux.Handle("POST /routes/{name}/weights", set)
	// Profiles of the running proxy, behind the token like the rest; without a token there
	// are none (a profile shows memory, and any local process could ask).
	if token != "" {
		mux.Handle("GET /debug/pprof/", auth(pprof.Index))
		mux.Handle("GET /debug/pprof/profile", auth(pprof.Profile))
		mux.Handle("GET /debug/pprof/trace", auth(pprof.Trace))
	}
	mux.Handle("GET /routes/{name}/diff", auth(p.serveDiff))
	p.rolloutHandlers(mux, auth)
	mux.Handle("GET /upstreams", auth(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"upstreams": p.Upstreams()})
	}))
	return mux
}

// serveReady answers GET /readyz: 503 while draining.
func (p *Proxy) serveReady(w http.ResponseWriter, _ *http.Request) {
	if !p.ready.Load() {
		http.Error(w, "draining", http.StatusServiceUnavailable)
		return
	}
	io.WriteString(w, "ready\n")
}

// serveAllWeights answers GET /weights: every route's weights.
func (p *Proxy) serveAllWeights(w http.ResponseWriter, _ *http.Request) {
	out := map[string]map[string]int{}
	for _, r := range p.Routes() {
		out[r.Name] = r.Weights
	}
	writeJSON(w, http.StatusOK, map[string]any{"weights": out})
}

// serveRouteWeights answers GET /routes/{name}/weights.
func (p *Proxy) serveRouteWeights(w http.ResponseWriter, r *http.Request) {
	for _, rs := range p.Routes() {
		if rs.Name == r.PathValue("name") {
			writeJSON(w, http.StatusOK, RouteWeights{Route: rs.Name, Weights: rs.Weights, Version: rs.Version})
			return
		}
	}
	writeError(w, http.StatusNotFound, fmt.Errorf("route %q is not configured; list routes with GET /routes", r.PathValue("name")))
}

// serveSetWeights answers PUT or POST /routes/{name}/weights with the change made.
func (p *Proxy) serveSetWeights(w http.ResponseWriter, r *http.Request) {
	// Requiring a JSON content type keeps browsers from posting forms here (CSRF).
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, errors.New("send the weights as JSON with Content-Type: application/json"))
		return
	}
	var req WeightsRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("bad weights body: %w; send {\"weights\": {\"upstream\": 50, ...}}", err))
		return
	}
	ch, err := p.SetWeights(r.Context(), r.PathValue("name"), req.Weights, "admin")
	switch {
	case errors.Is(err, ErrUnknownRoute):
		writeError(w, http.StatusNotFound, err)
	case errors.Is(err, ErrVersionConflict):
		writeError(w, http.StatusConflict, err)
	case err != nil && isValidation(err):
		writeError(w, http.StatusUnprocessableEntity, err)
	case err != nil:
		writeError(w, http.StatusBadGateway, err)
	default:
		writeJSON(w, http.StatusOK, ch)
	}
}

// serveDiff answers GET /routes/{name}/diff?top=N: the route's shadow diff report.
func (p *Proxy) serveDiff(w http.ResponseWriter, r *http.Request) {
	top := 10
	if v := r.URL.Query().Get("top"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, fmt.Errorf("bad top %q: give a positive number of fields", v))
			return
		}
		top = n
	}
	rep, err := p.Diff(r.PathValue("name"), top)
	if err != nil {
		writeError(w, http.StatusNotFound, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// adminHostOnly refuses requests whose Host is not the loopback listen address addr (or
// localhost with its port): without a token, a web page the operator visits could otherwise
// reach the admin API through a DNS name rebound to 127.0.0.1.
func adminHostOnly(addr net.Addr, h http.Handler) http.Handler {
	_, port, _ := net.SplitHostPort(addr.String())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, p, err := net.SplitHostPort(r.Host)
		ip := net.ParseIP(strings.Trim(host, "[]"))
		if err != nil || p != port || host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			writeError(w, http.StatusMisdirectedRequest, fmt.Errorf("Host %q is not this admin listener's address: use %s", r.Host, addr))
			return
		}
		h.ServeHTTP(w, r)
	})
}

func isValidation(err error) bool {
	var we *config.WeightsError
	return errors.As(err, &we)
}

// requireToken refuses requests without the bearer token, comparing in constant time.
func requireToken(token string, h http.Handler) http.Handler {
	if token == "" {
		return h
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("Authorization"))
		if subtle.ConstantTimeCompare(got, want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="carve-proxy"`)
			writeError(w, http.StatusUnauthorized, errors.New("missing or wrong bearer token: send Authorization: Bearer <token from the admin token_env variable>"))
			return
		}
		h.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]string{"error": err.Error()})
}

package strangler

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"

	"github.com/carve-dev/carve/strangler/config"
	"github.com/carve-dev/carve/strangler/lambda"
)

// lambdaTarget is the one target of a Lambda upstream: the function, served to both front
// ends. The net/http front end reaches it through a ReverseProxy whose transport is the
// function (so headers are prepared exactly as for an HTTP target); the plain front end
// builds the event from its fasthttp request (sendFast).
type lambdaTarget struct {
	fn *lambda.Function
	rp *httputil.ReverseProxy
}

func (l *lambdaTarget) ServeHTTP(w http.ResponseWriter, r *http.Request) { l.rp.ServeHTTP(w, r) }

// newLambdaFunction builds the invoker of a Lambda upstream; an error names the config line.
func (p *Proxy) newLambdaFunction(cfg *config.Config, name string, u *config.Upstream) (*lambda.Function, error) {
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	client, err := lambda.NewClient(ctx, *u.Lambda, p.transportCfg)
	if err != nil {
		path := "upstreams." + name + ".lambda"
		return nil, &config.Error{File: cfg.File, Line: cfg.Line(path), Path: path, Msg: err.Error()}
	}
	fn := lambda.New(client, *u.Lambda, p.log)
	fn.Timeout = p.transportCfg.ResponseHeaderTimeout.D()
	return fn, nil
}

// lambdaForwarderFor returns the builder of a Lambda upstream's target within runtime rt.
func (p *Proxy) lambdaForwarderFor(rt *runtime, fn *lambda.Function) func(*url.URL) http.Handler {
	return func(target *url.URL) http.Handler {
		rp := &httputil.ReverseProxy{
			Rewrite: func(pr *httputil.ProxyRequest) {
				pr.Out.URL.Scheme, pr.Out.URL.Host = target.Scheme, target.Host
				pr.Out.Host = pr.In.Host
				setForwarded(pr, rt.trusted)
				dropUnderscored(pr.Out.Header)
			},
			Transport:    fn,
			BufferPool:   p.bufs,
			ErrorHandler: recordError,
			ErrorLog:     slog.NewLogLogger(p.log.Handler(), slog.LevelWarn),
		}
		return &lambdaTarget{fn: fn, rp: rp}
	}
}

// sendFast invokes the function for the plain front end's request (already prepared: hop
// headers gone, X-Forwarded-* set) and writes its answer as the response.
func (l *lambdaTarget) sendFast(a *fastAttempt) (int, bool, error) {
	req, resp := &a.ctx.Request, &a.ctx.Response
	h := &req.Header
	r := lambda.Request{Method: string(h.Method()), Host: string(a.inHost), Protocol: string(h.Protocol()),
		SourceIP: a.ctx.RemoteIP().String()}
	uri := h.RequestURI()
	r.RawPath, r.RawQuery = string(uri), ""
	if i := bytes.IndexByte(uri, '?'); i >= 0 {
		r.RawPath, r.RawQuery = string(uri[:i]), string(uri[i+1:])
	}
	for k, v := range h.All() {
		if string(k) != "Host" {
			r.Header = append(r.Header, lambda.Field{Name: string(k), Value: string(v)})
		}
	}
	if req.IsBodyStream() {
		body, tooLarge, err := lambda.ReadBody(req.BodyStream(), l.fn.MaxPayload)
		if err != nil {
			return 0, false, err
		}
		if tooLarge {
			a.fail(http.StatusRequestEntityTooLarge, fmt.Sprintf("request too large for lambda function %s: its body is over the %d-byte payload limit of a synchronous invoke", l.fn.Name(), l.fn.MaxPayload))
			a.ctx.SetConnectionClose() // the rest of the body is not read
			return http.StatusRequestEntityTooLarge, true, nil
		}
		r.Body = body
	} else {
		r.Body = req.Body()
	}
	ctx := a.tunnels
	if ctx == nil {
		ctx = context.Background()
	}
	if !a.deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, a.deadline)
		defer cancel()
	}
	out, err := l.fn.Invoke(ctx, &r)
	if err != nil {
		return 0, false, err
	}
	resp.Reset()
	resp.SetStatusCode(out.Status)
	for k, vs := range out.Header {
		for _, v := range vs {
			resp.Header.Add(k, v)
		}
	}
	resp.SetBody(out.Body)
	a.stripResponse()
	return out.Status, true, nil
}

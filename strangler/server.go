package strangler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/carve-dev/carve/strangler/config"
)

// RunOptions say where Run serves and what makes it reload.
type RunOptions struct {
	// ConfigFile is reloaded on Reload signals and, with Watch, when it changes.
	ConfigFile string
	// Watch reloads ConfigFile when it changes on disk.
	Watch bool
	// Reload triggers a reload of ConfigFile (cmd sends SIGHUP here).
	Reload <-chan struct{}
	// Listener and AdminListener, when set, are used instead of listening on the config's
	// addresses (tests pass 127.0.0.1:0 listeners).
	Listener, AdminListener net.Listener
	// Started, when set, is called with both addresses once they accept connections.
	Started func(traffic, admin net.Addr)
}

// Run serves traffic and the admin API until ctx is done, then drains: /readyz fails, the
// listeners stop accepting after shutdown.delay, in-flight requests get until
// shutdown.timeout, and Run returns nil. It refuses to start an admin listener on a
// non-loopback address without a token. Run closes the proxy when it returns.
func (p *Proxy) Run(ctx context.Context, opts RunOptions) error {
	defer p.Close()
	cfg := p.Config()
	token, err := p.adminToken(cfg)
	if err != nil {
		return err
	}
	ln, aln, err := listen(ctx, cfg, opts, token)
	if err != nil {
		return err
	}
	// Requests outlive ctx (they drain); connCtx ends tunnels such as WebSockets, which
	// shutting a server down does not wait for, once the drain is over.
	connCtx, endConns := context.WithCancel(context.WithoutCancel(ctx))
	defer endConns()
	traffic, err := p.newTrafficServer(cfg, connCtx)
	if err != nil {
		ln.Close()
		aln.Close()
		return err
	}
	admin := p.newAdminServer(aln, token)

	var wg sync.WaitGroup
	serveErr := make(chan error, 2)
	wg.Go(func() {
		if err := traffic.serve(ln); !errors.Is(err, http.ErrServerClosed) {
			serveErr <- fmt.Errorf("serve traffic: %w", err)
		}
	})
	wg.Go(func() {
		if err := admin.Serve(aln); !errors.Is(err, http.ErrServerClosed) {
			serveErr <- fmt.Errorf("serve admin API: %w", err)
		}
	})
	bg, stopBG := context.WithCancel(ctx)
	p.runBackground(bg, &wg, cfg, opts)
	p.log.Info("proxy started", "listen", ln.Addr().String(), "admin", aln.Addr().String(), "tls", cfg.TLS != nil,
		"routes", len(cfg.Routes), "upstreams", len(cfg.Upstreams))
	if opts.Started != nil {
		opts.Started(ln.Addr(), aln.Addr())
	}

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-serveErr:
	}
	p.drain(ctx, cfg, runErr == nil, func() {
		stopBG()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.Shutdown.Timeout.D())
		defer cancel()
		if err := traffic.shutdown(sctx); err != nil {
			p.log.Warn("drain deadline passed; closing the remaining connections", "err", err)
		}
		endConns()
		admin.Shutdown(sctx)
		admin.Close()
	})
	wg.Wait()
	p.log.Info("proxy stopped")
	return runErr
}

// trafficServer is the traffic listener's server: fasthttp's for plain HTTP/1.1 (fast.go),
// net/http's for TLS and HTTP/2 (tlsfront.go).
type trafficServer interface {
	// serve serves ln until shutdown, then returns http.ErrServerClosed.
	serve(ln net.Listener) error
	// shutdown stops accepting and waits for requests in flight until ctx is done, then
	// closes what is left.
	shutdown(ctx context.Context) error
}

// newTrafficServer is the server of cfg's traffic listener; tunnels (upgraded connections)
// end when tunnels is done.
func (p *Proxy) newTrafficServer(cfg *config.Config, tunnels context.Context) (trafficServer, error) {
	if cfg.TLS == nil {
		return fastServer{p.newFastServer(cfg, tunnels)}, nil
	}
	return p.newTLSServer(cfg, tunnels)
}

// listen returns the traffic and admin listeners: opts' or new ones on cfg's addresses. It
// refuses an admin listener off loopback without a token.
func listen(ctx context.Context, cfg *config.Config, opts RunOptions, token string) (ln, aln net.Listener, err error) {
	ln, aln = opts.Listener, opts.AdminListener
	var lc net.ListenConfig
	if ln == nil {
		if ln, err = lc.Listen(ctx, "tcp", cfg.Listen); err != nil {
			return nil, nil, fmt.Errorf("listen for traffic on %s: %w", cfg.Listen, err)
		}
	}
	if aln == nil {
		if aln, err = lc.Listen(ctx, "tcp", cfg.Admin.Listen); err != nil {
			ln.Close()
			return nil, nil, fmt.Errorf("listen for the admin API on %s: %w", cfg.Admin.Listen, err)
		}
	}
	if !loopbackAddr(aln.Addr()) && token == "" {
		ln.Close()
		aln.Close()
		return nil, nil, fmt.Errorf("admin API on %s is not loopback and has no token: set admin.token_env", aln.Addr())
	}
	return ln, aln, nil
}

// newAdminServer serves the admin API on aln: with a token, to requests bearing it; without,
// to requests addressed to aln's own (loopback) address.
func (p *Proxy) newAdminServer(aln net.Listener, token string) *http.Server {
	h := p.AdminHandler(token)
	if token == "" {
		h = adminHostOnly(aln.Addr(), h)
	}
	// Bounded like the traffic listener; the write timeout leaves room for a 30 s CPU profile.
	return &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 2 * time.Minute, IdleTimeout: time.Minute, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(p.log.Handler(), slog.LevelWarn)}
}

// runBackground starts what runs beside the servers until bg is done: the config file's
// watcher, reloads on opts.Reload, the shared store's poller.
func (p *Proxy) runBackground(bg context.Context, wg *sync.WaitGroup, cfg *config.Config, opts RunOptions) {
	if opts.ConfigFile != "" && opts.Watch {
		w, err := newWatcher(opts.ConfigFile, cfg.Sum, p.log)
		if err != nil {
			p.log.Warn("config file not watched; reload with SIGHUP", "err", err)
		} else {
			wg.Go(func() { w.run(bg, func() { p.ReloadFile(opts.ConfigFile) }) })
		}
	}
	if opts.Reload != nil {
		wg.Go(func() {
			for {
				select {
				case <-bg.Done():
					return
				case <-opts.Reload:
					p.ReloadFile(opts.ConfigFile)
				}
			}
		})
	}
	if cfg.Store != nil && p.store != nil {
		wg.Go(func() { p.runStore(bg, cfg.Store.PollInterval()) })
	}
}

// drain fails readiness first so load balancers stop sending, waits shutdown.delay (when
// delay), then stops everything with stop.
func (p *Proxy) drain(ctx context.Context, cfg *config.Config, delay bool, stop func()) {
	p.ready.Store(false)
	p.log.Info("draining", "delay", cfg.Shutdown.Delay.D().String(), "timeout", cfg.Shutdown.Timeout.D().String())
	if d := cfg.Shutdown.Delay.D(); d > 0 && delay {
		t := time.NewTimer(d)
		<-t.C
	}
	stop()
}

func (p *Proxy) adminToken(cfg *config.Config) (string, error) {
	if cfg.Admin.TokenEnv == "" {
		return "", nil
	}
	tok := p.getenv(cfg.Admin.TokenEnv)
	if tok == "" {
		return "", fmt.Errorf("admin token: environment variable %s (admin.token_env) is empty: set it to a secret", cfg.Admin.TokenEnv)
	}
	return tok, nil
}

func loopbackAddr(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

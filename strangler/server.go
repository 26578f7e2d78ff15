package strangler

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

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
	ln, aln := opts.Listener, opts.AdminListener
	var lc net.ListenConfig
	if ln == nil {
		if ln, err = lc.Listen(ctx, "tcp", cfg.Listen); err != nil {
			return fmt.Errorf("listen for traffic on %s: %w", cfg.Listen, err)
		}
	}
	if aln == nil {
		if aln, err = lc.Listen(ctx, "tcp", cfg.Admin.Listen); err != nil {
			ln.Close()
			return fmt.Errorf("listen for the admin API on %s: %w", cfg.Admin.Listen, err)
		}
	}
	if !loopbackAddr(aln.Addr()) && token == "" {
		ln.Close()
		aln.Close()
		return fmt.Errorf("admin API on %s is not loopback and has no token: set admin.token_env", aln.Addr())
	}
	errLog := slog.NewLogLogger(p.log.Handler(), slog.LevelWarn)
	connCtx, endConns := context.WithCancel(context.WithoutCancel(ctx))
	defer endConns()
	srv := &http.Server{
		Handler:           p,
		ReadHeaderTimeout: cfg.Server.ReadHeaderTimeout.D(),
		ReadTimeout:       cfg.Server.ReadTimeout.D(),
		WriteTimeout:      cfg.Server.WriteTimeout.D(),
		IdleTimeout:       cfg.Server.IdleTimeout.D(),
		MaxHeaderBytes:    cfg.Server.MaxHeaderBytes,
		ErrorLog:          errLog,
		// Requests outlive ctx (they drain); connCtx ends tunnels such as WebSockets, which
		// Shutdown does not wait for, once the drain is over.
		BaseContext: func(net.Listener) context.Context { return connCtx },
	}
	if cfg.TLS != nil {
		cert, err := tls.LoadX509KeyPair(cfg.TLS.CertFile, cfg.TLS.KeyFile)
		if err != nil {
			ln.Close()
			aln.Close()
			return fmt.Errorf("load TLS certificate %s and key %s: %w", cfg.TLS.CertFile, cfg.TLS.KeyFile, err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	adminHandler := p.AdminHandler(token)
	if token == "" {
		adminHandler = adminHostOnly(aln.Addr(), adminHandler)
	}
	// Bounded like the traffic listener; the write timeout leaves room for a 30 s CPU profile.
	admin := &http.Server{Handler: adminHandler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 2 * time.Minute, IdleTimeout: time.Minute, MaxHeaderBytes: 64 << 10, ErrorLog: errLog}

	var wg sync.WaitGroup
	serveErr := make(chan error, 2)
	// Plain HTTP/1.1 is served by fasthttp (see fast.go), TLS and HTTP/2 by net/http.
	var fast *fasthttp.Server
	if srv.TLSConfig == nil {
		fast = p.newFastServer(cfg, connCtx)
	}
	wg.Go(func() {
		var err error
		switch {
		case fast != nil:
			if err = fast.Serve(ln); err == nil {
				err = http.ErrServerClosed
			}
		default:
			err = srv.ServeTLS(ln, "", "") // negotiates HTTP/2 with ALPN
		}
		if !errors.Is(err, http.ErrServerClosed) {
			serveErr <- fmt.Errorf("serve traffic: %w", err)
		}
	})
	wg.Go(func() {
		if err := admin.Serve(aln); !errors.Is(err, http.ErrServerClosed) {
			serveErr <- fmt.Errorf("serve admin API: %w", err)
		}
	})
	bg, stopBG := context.WithCancel(ctx)
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
	// Drain: fail readiness first so load balancers stop sending, then stop accepting and
	// wait for in-flight requests.
	p.ready.Store(false)
	p.log.Info("draining", "delay", cfg.Shutdown.Delay.D().String(), "timeout", cfg.Shutdown.Timeout.D().String())
	if d := cfg.Shutdown.Delay.D(); d > 0 && runErr == nil {
		t := time.NewTimer(d)
		<-t.C
	}
	stopBG()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.Shutdown.Timeout.D())
	defer cancel()
	if fast != nil {
		if err := fast.ShutdownWithContext(sctx); err != nil {
			p.log.Warn("drain deadline passed; closing the remaining connections", "err", err)
		}
	} else if err := srv.Shutdown(sctx); err != nil {
		p.log.Warn("drain deadline passed; closing the remaining connections", "err", err)
		srv.Close()
	}
	endConns()
	admin.Shutdown(sctx)
	admin.Close()
	wg.Wait()
	p.log.Info("proxy stopped")
	return runErr
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

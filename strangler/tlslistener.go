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

// The TLS listener: handshakes, then each connection to the server of the protocol ALPN chose.

// newTLSServer is the TLS listener's server for cfg. It completes each TLS handshake itself
// and hands the connection on by the protocol ALPN chose: HTTP/1.1 to the plain front end's
// fasthttp server (the very request path of a plain listener, X-Forwarded-Proto https) and
// HTTP/2 to net/http's server, whose handler is ServeHTTP. net/http's HTTP/1.1 server costs
// about twice fasthttp's CPU per request (its per-request allocations and background read);
// fasthttp has no HTTP/2. tunnels is the base context of HTTP/2 requests and ends upgraded
// connections of HTTP/1.1 ones.
func (p *Proxy) newTLSServer(cfg *config.Config, tunnels context.Context) (trafficServer, error) {
	cert, err := tls.LoadX509KeyPair(cfg.TLS.CertFile, cfg.TLS.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("load TLS certificate %s and key %s: %w", cfg.TLS.CertFile, cfg.TLS.KeyFile, err)
	}
	s := cfg.Server
	h2 := &http.Server{
		Handler:           p,
		ReadHeaderTimeout: s.ReadHeaderTimeout.D(),
		ReadTimeout:       s.ReadTimeout.D(),
		WriteTimeout:      s.WriteTimeout.D(),
		IdleTimeout:       s.IdleTimeout.D(),
		MaxHeaderBytes:    s.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(p.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return tunnels },
	}
	var protos http.Protocols
	protos.SetHTTP2(true) // over the TLS connections handed to it (their handshake is done)
	h2.Protocols = &protos
	return &tlsServer{
		tls: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12,
			NextProtos: []string{"h2", "http/1.1"}},
		handshakeTimeout: s.ReadHeaderTimeout.D(),
		h1:               p.newFastServer(cfg, tunnels),
		h2:               h2,
	}, nil
}

// tlsServer is the TLS listener's trafficServer (newTLSServer).
type tlsServer struct {
	tls              *tls.Config
	handshakeTimeout time.Duration
	h1               *fasthttp.Server
	h2               *http.Server

	mu         sync.Mutex
	ln         net.Listener
	h1q, h2q   *connQueue
	closing    bool
	handshakes sync.WaitGroup
}

func (t *tlsServer) serve(ln net.Listener) error {
	t.mu.Lock()
	t.ln, t.h1q, t.h2q = ln, newConnQueue(ln.Addr()), newConnQueue(ln.Addr())
	closing := t.closing
	t.mu.Unlock()
	if closing {
		return http.ErrServerClosed
	}
	var servers sync.WaitGroup
	errs := make(chan error, 2)
	servers.Go(func() {
		if err := t.h1.Serve(t.h1q); err != nil {
			errs <- fmt.Errorf("HTTP/1.1: %w", err)
		}
	})
	servers.Go(func() {
		if err := t.h2.Serve(t.h2q); !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			errs <- fmt.Errorf("HTTP/2: %w", err)
		}
	})
	var err error
	for {
		c, aerr := ln.Accept()
		if aerr != nil {
			err = aerr
			break
		}
		t.handshakes.Go(func() { t.handshake(c) })
	}
	t.handshakes.Wait()
	t.h1q.Close()
	t.h2q.Close()
	servers.Wait()
	close(errs)
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closing {
		return http.ErrServerClosed
	}
	if serr, ok := <-errs; ok {
		return serr
	}
	return err
}

// handshake completes c's TLS handshake within the header timeout and queues it for the
// server of its protocol. A failed handshake closes c quietly (a scanner, a client that
// distrusts the certificate): nothing was asked of the proxy yet.
func (t *tlsServer) handshake(c net.Conn) {
	tc := tls.Server(c, t.tls)
	ctx := context.Background()
	if t.handshakeTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t.handshakeTimeout)
		defer cancel()
	}
	if err := tc.HandshakeContext(ctx); err != nil {
		c.Close()
		return
	}
	q := t.h1q
	if tc.ConnectionState().NegotiatedProtocol == "h2" {
		q = t.h2q
	}
	q.push(tc)
}

// shutdown stops accepting, then lets both servers drain until ctx is done (and closes what
// is left).
func (t *tlsServer) shutdown(ctx context.Context) error {
	t.mu.Lock()
	t.closing = true
	ln := t.ln
	t.mu.Unlock()
	if ln != nil {
		ln.Close()
	}
	err := t.h1.ShutdownWithContext(ctx)
	if err2 := t.h2.Shutdown(ctx); err2 != nil {
		t.h2.Close()
		if err == nil {
			err = err2
		}
	}
	return err
}

// connQueue is a net.Listener whose connections are pushed to it: the TLS listener's
// connections of one protocol, their handshake done.
type connQueue struct {
	c    chan net.Conn
	done chan struct{}
	once sync.Once
	addr net.Addr
}

func newConnQueue(addr net.Addr) *connQueue {
	return &connQueue{c: make(chan net.Conn), done: make(chan struct{}), addr: addr}
}

// push hands c to the server accepting from q, or closes it once q is closed.
func (q *connQueue) push(c net.Conn) {
	select {
	case q.c <- c:
	case <-q.done:
		c.Close()
	}
}

func (q *connQueue) Accept() (net.Conn, error) {
	select {
	case c := <-q.c:
		return c, nil
	case <-q.done:
		return nil, net.ErrClosed
	}
}

func (q *connQueue) Close() error {
	q.once.Do(func() { close(q.done) })
	return nil
}

func (q *connQueue) Addr() net.Addr { return q.addr }

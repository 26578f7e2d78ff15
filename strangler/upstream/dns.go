package upstream

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"sort"
	"time"

	"github.com/carve-dev/carve/strangler/config"
)

type netipAddr = netip.Addr

type netResolver struct{}

func (netResolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	return net.DefaultResolver.LookupNetIP(ctx, network, host)
}

func (p *Pool) runDNS(ctx context.Context) {
	tick := time.NewTicker(p.cfg.DNS.Interval.D())
	defer tick.Stop()
	for {
		if err := p.Resolve(ctx); err != nil && ctx.Err() == nil {
			p.log.Warn("resolving upstream targets failed; keeping the previous addresses", "upstream", p.Name, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Resolve looks up every target host and replaces the target set with one target per
// address. On error the previous set stays.
func (p *Pool) Resolve(ctx context.Context) error {
	var urls []*url.URL
	for _, s := range p.cfg.Targets {
		u, _ := config.ParseTarget(s)
		port := u.Port()
		if port == "" {
			port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
		}
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		addrs, err := p.resolver.LookupNetIP(ctx, p.cfg.DNS.Network, u.Hostname())
		cancel()
		if err != nil {
			return err
		}
		sort.Slice(addrs, func(i, j int) bool { return addrs[i].Less(addrs[j]) })
		for _, a := range addrs {
			v := *u
			v.Host = net.JoinHostPort(a.Unmap().String(), port)
			urls = append(urls, &v)
		}
	}
	if !p.sameURLs(urls) {
		p.setTargets(urls)
		p.log.Info("upstream targets resolved", "upstream", p.Name, "targets", len(urls))
	}
	return nil
}

func (p *Pool) sameURLs(urls []*url.URL) bool {
	cur := p.Targets()
	if len(cur) != len(urls) {
		return false
	}
	for i := range cur {
		if cur[i].Key != urls[i].String() {
			return false
		}
	}
	return true
}

func drain(resp *http.Response) (int64, error) {
	defer resp.Body.Close()
	return io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
}

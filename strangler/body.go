package strangler

import (
	"errors"
	"io"
	"time"

	"github.com/carve-dev/carve/strangler/config"
)

// errBodyTooLarge ends a request body past its route's limit.
var errBodyTooLarge = errors.New("request body too large")

// errBodyTooSlow ends a request body that arrives slower than server.body_min_rate.
var errBodyTooSlow = errors.New("request body too slow")

// clientBody is a request body on its way from the client to a target. It bounds the body
// (size, the wait between reads, a minimum rate) and remembers when reading it failed: a
// body that fails — malformed chunks, a client that hangs up or trickles — is the client's
// fault, and must neither count against the target nor be answered as the target's.
type clientBody struct {
	r io.Reader
	// setDeadline sets the client connection's read deadline (nil: none can be set).
	setDeadline func(time.Time) error
	limit       int64 // bytes allowed; < 0 for no limit
	timeout     time.Duration
	until       time.Time // server.read_timeout's end of the whole request, or zero
	minRate     int64
	start       time.Time
	n           int64
	fault       *refusal // set when the client is to blame
	err         error
	tee         *shadowCapture // a bounded copy for shadow traffic, or nil
}

func (b *clientBody) reset(r io.Reader, setDeadline func(time.Time) error, limit int64, s config.Server) {
	*b = clientBody{r: r, setDeadline: setDeadline, limit: limit, timeout: s.BodyTimeout.D(), minRate: s.BodyMinRate, start: time.Now()}
	if rt := s.ReadTimeout.D(); rt > 0 {
		b.until = b.start.Add(rt)
	}
}

func (b *clientBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.setDeadline != nil && b.timeout > 0 {
		d := time.Now().Add(b.timeout)
		if !b.until.IsZero() && b.until.Before(d) {
			d = b.until
		}
		_ = b.setDeadline(d)
	}
	n, err := b.r.Read(p)
	b.n += int64(n)
	if b.tee != nil && n > 0 {
		b.tee.write(p[:n])
	}
	switch {
	case b.limit >= 0 && b.n > b.limit:
		b.fault, err = &refuseTooLarge, errBodyTooLarge
	case err == nil || err == io.EOF:
		if b.minRate > 0 && err == nil {
			if el := time.Since(b.start); el > config.BodyRateGrace && float64(b.n) < float64(b.minRate)*el.Seconds() {
				b.fault, err = &refuseSlowBody, errBodyTooSlow
			}
		}
	case isTimeout(err):
		b.fault = &refuseSlowBody
	default:
		b.fault = &refuseBodyRead
	}
	if err != nil && err != io.EOF {
		b.err = err
	}
	return n, err
}

// Close is for net/http's body (its transport closes the request body).
func (b *clientBody) Close() error {
	if c, ok := b.r.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

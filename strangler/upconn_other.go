//go:build !unix

package strangler

import "net"

// peeker cannot peek without blocking here; fasthttp's own checks apply.
type peeker struct{}

func newPeeker(net.Conn) *peeker { return nil }

func (*peeker) clean() bool { return true }

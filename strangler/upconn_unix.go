//go:build unix

package strangler

import (
	"net"
	"syscall"
)

// peeker checks, without blocking, that nothing is waiting to be read on a connection and
// that the target has not closed it: one system call. It is made once per connection, as
// asking for the raw connection and a callback on every check would allocate.
type peeker struct {
	rc   syscall.RawConn
	peek func(fd uintptr) bool
	n    int
	err  error
	b    [1]byte
}

// newPeeker returns c's peeker, or nil when c has no file descriptor to peek at.
func newPeeker(c net.Conn) *peeker {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	p := &peeker{rc: rc}
	p.peek = p.recv
	return p
}

func (p *peeker) recv(fd uintptr) bool {
	p.n, _, p.err = syscall.Recvfrom(int(fd), p.b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	return true
}

// clean reports whether nothing is waiting and the connection is open.
func (p *peeker) clean() bool {
	if err := p.rc.Read(p.peek); err != nil {
		return false
	}
	switch {
	case p.n > 0: // unsolicited bytes
		return false
	case p.err == nil: // n == 0: the target closed it
		return false
	}
	return p.err == syscall.EAGAIN || p.err == syscall.EWOULDBLOCK
}

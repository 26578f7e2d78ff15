//go:build unix

package strangler

import (
	"syscall"
)

// clean reports whether nothing is waiting to be read on the connection and the target has
// not closed it: a peek that does not block (one system call).
func (c *upstreamConn) clean() bool {
	sc, ok := c.Conn.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return true
	}
	var n int
	var rerr error
	var b [1]byte
	if err := rc.Read(func(fd uintptr) bool {
		n, _, rerr = syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		return true
	}); err != nil {
		return false
	}
	switch {
	case n > 0: // unsolicited bytes
		return false
	case rerr == nil: // n == 0: the target closed it
		return false
	}
	return rerr == syscall.EAGAIN || rerr == syscall.EWOULDBLOCK

}

//go:build unix

package strangler

import (
	"net"
	"syscall"
)

// clean reports whether nothing is waiting to be read on c and the target has not closed it:
// a peek that does not block (one system call).
func clean(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
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

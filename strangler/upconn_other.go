//go:build !unix

package strangler

import "net"

// clean cannot peek without blocking here; fasthttp's own checks apply.
func clean(net.Conn) bool { return true }

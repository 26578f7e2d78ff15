//go:build !unix

package strangler

// clean cannot peek without blocking here; fasthttp's own checks apply.
func (c *upstreamConn) clean() bool { return true }

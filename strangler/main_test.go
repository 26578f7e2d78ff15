package strangler

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
)

// TestMain doubles as a backend process for fault tests: with CARVE_TEST_BACKEND=NAME the
// test binary serves "NAME" on a loopback port, prints the address and waits to be killed.
func TestMain(m *testing.M) {
	if name := os.Getenv("CARVE_TEST_BACKEND"); name != "" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(ln.Addr().String())
		http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			io.WriteString(w, name)
		}))
		os.Exit(0)
	}
	os.Exit(m.Run())
}

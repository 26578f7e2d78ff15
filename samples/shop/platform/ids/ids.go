// Package ids generates identifiers and tells the time. Both are behind small types so that
// business logic can be tested with fixed values.
package ids

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Generator makes new identifiers with a prefix, e.g. "ord".
type Generator interface {
	New(prefix string) string
}

// Random is the production Generator: a millisecond timestamp followed by 8 random bytes, so
// identifiers sort roughly by creation time, e.g. "ord_0193a1b2c3d4e_9f8e7d6c5b4a3f2e".
type Random struct{}

// New returns a fresh identifier with the given prefix.
func (Random) New(prefix string) string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		// crypto/rand does not fail on supported platforms; a panic here is a broken machine.
		panic(fmt.Sprintf("ids: reading random bytes: %v", err))
	}
	return fmt.Sprintf("%s_%013x_%s", prefix, time.Now().UnixMilli(), hex.EncodeToString(b[:]))
}

// New returns an identifier from the Random generator.
func New(prefix string) string { return Random{}.New(prefix) }

// Sequence is a deterministic Generator for tests: prefix_1, prefix_2, ...
type Sequence struct {
	mu sync.Mutex
	n  int
}

// New returns the next identifier of the sequence.
func (s *Sequence) New(prefix string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	return fmt.Sprintf("%s_%d", prefix, s.n)
}

// Valid reports whether id looks like an identifier with the given prefix.
func Valid(id, prefix string) bool {
	rest, ok := strings.CutPrefix(id, prefix+"_")
	return ok && rest != "" && !strings.ContainsAny(rest, " /#")
}

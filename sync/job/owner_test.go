package job

import "testing"

// TestOwnerIDUniqueInOneProcess: two workers started with the same hostname and pid (containers
// often run as pid 1 under one hostname pattern) must not share a lease owner id; a configured
// id is kept as is.
func TestOwnerIDUniqueInOneProcess(t *testing.T) {
	if a, b := ownerID(""), ownerID(""); a == b || a == "" {
		t.Fatalf("two workers of one host and pid got the ids %q and %q", a, b)
	}
	if got := ownerID("w1"); got != "w1" {
		t.Fatalf("configured id became %q", got)
	}
}

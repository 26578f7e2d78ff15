package backfill

import (
	"encoding/json"
	"testing"
)

// The summary is the versioned document carve sync backfill prints: every field of the result,
// under the names docs/sync.md gives, and the schema.
func TestSummaryJSON(t *testing.T) {
	r := &Result{Scanned: 3, Written: map[string]int64{"orders": 2}, Stale: map[string]int64{"orders": 1},
		Failed: map[string]int64{}, Repaired: map[string]int64{"orders": 4}, Version: "000123"}
	b, err := json.Marshal(r.Summary())
	if err != nil {
		t.Fatal(err)
	}
	want := `{"schema":"carve.sync.backfill/v1","scanned":3,"written":{"orders":2},"stale":{"orders":1},"failed":{},"repaired":{"orders":4},"version":"000123"}`
	if string(b) != want {
		t.Errorf("summary:\n got %s\nwant %s", b, want)
	}
}

package deadletter

import (
	"encoding/json"
	"testing"
)

func TestReplaySummaryJSON(t *testing.T) {
	b, err := json.Marshal((&ReplayResult{Replayed: 1, Stale: 2, Failed: 3, Unknown: 4, Removed: 5}).Summary())
	if err != nil {
		t.Fatal(err)
	}
	want := `{"schema":"carve.sync.replay/v1","replayed":1,"stale":2,"failed":3,"unknown_pipeline":4,"removed":5}`
	if string(b) != want {
		t.Errorf("summary:\n got %s\nwant %s", b, want)
	}
}

package metrics

import (
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

func TestCountersAreConcurrencySafe(t *testing.T) {
	r := NewRegistry()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				r.Inc("hits")
			}
		})
	}
	wg.Wait()
	r.Add("bytes", 5)
	if got := r.Value("hits"); got != 800 {
		t.Errorf("hits = %d", got)
	}
	if names := r.Names(); len(names) != 2 || names[0] != "bytes" {
		t.Errorf("names = %v", names)
	}
}

func TestHandler(t *testing.T) {
	r := NewRegistry()
	r.Inc("x")
	rec := httptest.NewRecorder()
	r.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/debug/metrics", nil))
	if !strings.Contains(rec.Body.String(), `"x":1`) {
		t.Errorf("body = %s", rec.Body)
	}
}

package ids

import (
	"testing"
	"time"
)

func TestRandomIsUniqueAndValid(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := New("ord")
		if !Valid(id, "ord") {
			t.Fatalf("New produced invalid id %q", id)
		}
		if seen[id] {
			t.Fatalf("duplicate id %q", id)
		}
		seen[id] = true
	}
}

func TestSequence(t *testing.T) {
	var s Sequence
	if got := s.New("usr"); got != "usr_1" {
		t.Errorf("first = %q", got)
	}
	if got := s.New("usr"); got != "usr_2" {
		t.Errorf("second = %q", got)
	}
}

func TestValid(t *testing.T) {
	for _, tc := range []struct {
		id   string
		want bool
	}{
		{"ord_123", true},
		{"ord_", false},
		{"usr_123", false},
		{"ord_12#3", false},
		{"", false},
	} {
		if got := Valid(tc.id, "ord"); got != tc.want {
			t.Errorf("Valid(%q) = %v, want %v", tc.id, got, tc.want)
		}
	}
}

func TestFixedClock(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := NewFixedClock(start)
	c.Advance(time.Hour)
	if got := c.Now(); !got.Equal(start.Add(time.Hour)) {
		t.Errorf("Now = %v", got)
	}
}

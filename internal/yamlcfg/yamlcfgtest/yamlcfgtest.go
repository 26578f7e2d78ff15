// Package yamlcfgtest checks the problems a config loader reports, for the loaders' tests.
package yamlcfgtest

import (
	"strings"
	"testing"
)

// WantProblems fails t unless err lists exactly len(want) problems, one a line, the i-th
// starting with want[i]: every problem at once, in line order.
func WantProblems(t testing.TB, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted; want %d problems", len(want))
	}
	got := strings.Split(err.Error(), "\n")
	if len(got) != len(want) {
		t.Fatalf("want %d problems, got %d:\n%v", len(want), len(got), err)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("problem %d: %q does not start with %q", i+1, got[i], want[i])
		}
	}
}

package cmd

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A command's run function takes its options and streams and knows nothing of cobra: tests and
// other callers use it directly.
func TestRunFunctionsDirectly(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	good := filepath.Join(dir, "proxy.yaml")
	os.WriteFile(good, []byte("listen: \":8080\"\nupstreams: {monolith: {targets: [\"http://127.0.0.1:9000\"]}}\ndefault: monolith\n"), 0o644)
	var out, errb bytes.Buffer
	s := Streams{In: strings.NewReader(""), Out: &out, Err: &errb}
	if err := runProxyValidate(ctx, s, &proxyValidateOptions{config: good}); err != nil || !strings.Contains(out.String(), "ok: 0 routes, 1 upstreams, default monolith") {
		t.Errorf("runProxyValidate: %v, %q", err, out.String())
	}
	if err := runProxyValidate(ctx, s, &proxyValidateOptions{config: filepath.Join(dir, "none.yaml")}); exitCode(err) != exitInput {
		t.Errorf("runProxyValidate of a missing file: %v (exit %d), want exit 2", err, exitCode(err))
	}

	shop := filepath.Join("..", "tui", "testdata", "shop.plan.json")
	out.Reset()
	if err := runPlanDiff(ctx, s, &planDiffOptions{a: shop, b: shop, output: "json"}); err != nil || !strings.Contains(out.String(), "{") {
		t.Errorf("runPlanDiff of one plan with itself: %v, %q", err, out.String())
	}
	if err := runPlanDiff(ctx, s, &planDiffOptions{a: shop, b: shop, output: "yaml"}); exitCode(err) != exitInput {
		t.Errorf("runPlanDiff -o yaml: %v, want exit 2", err)
	}

	// An admin command with a URL that is not one is bad input before anything is sent.
	err := runProxyRollout(ctx, s, &proxyRolloutOptions{adminFlags: adminFlags{admin: "127.0.0.1:9901", output: "text"}, action: "status", route: "orders"})
	var ue usageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), `bad --admin URL "127.0.0.1:9901"`) {
		t.Errorf("runProxyRollout with a bad --admin: %v", err)
	}
}

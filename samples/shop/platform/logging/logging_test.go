package logging

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestNewLevelsAndFormats(t *testing.T) {
	var buf bytes.Buffer
	log, err := New(&buf, "warn", "json")
	if err != nil {
		t.Fatal(err)
	}
	log.Info("hidden")
	log.Warn("shown", "k", 1)
	if out := buf.String(); strings.Contains(out, "hidden") || !strings.Contains(out, `"msg":"shown"`) {
		t.Errorf("output = %s", out)
	}
	if _, err := New(&buf, "loud", "text"); err == nil {
		t.Error("want error for bad level")
	}
	if _, err := New(&buf, "info", "xml"); err == nil {
		t.Error("want error for bad format")
	}
}

func TestContext(t *testing.T) {
	var buf bytes.Buffer
	log, _ := New(&buf, "info", "text")
	ctx := With(context.Background(), log.With("request_id", "r1"))
	From(ctx).Info("hello")
	if !strings.Contains(buf.String(), "request_id=r1") {
		t.Errorf("output = %s", buf.String())
	}
}

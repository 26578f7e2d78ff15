package events

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
)

type greeting struct{ Name string }

func TestBusDeliversInOrderAndSurvivesFailures(t *testing.T) {
	bus := NewBus(slog.New(slog.NewTextHandler(io.Discard, nil)))
	var got []string
	bus.Subscribe("greet", "first", Typed(func(_ context.Context, g greeting) error {
		got = append(got, "first:"+g.Name)
		return errors.New("boom")
	}))
	bus.Subscribe("greet", "second", Typed(func(_ context.Context, g greeting) error {
		got = append(got, "second:"+g.Name)
		return nil
	}))
	err := bus.Publish(context.Background(), "greet", greeting{Name: "ada"})
	if err == nil {
		t.Fatal("want an error reporting the failed subscriber")
	}
	if len(got) != 2 || got[0] != "first:ada" || got[1] != "second:ada" {
		t.Fatalf("deliveries = %v", got)
	}
}

func TestTypedRejectsWrongPayload(t *testing.T) {
	h := Typed(func(context.Context, greeting) error { return nil })
	if err := h(context.Background(), 42); err == nil {
		t.Fatal("want error for wrong payload type")
	}
}

func TestRecorder(t *testing.T) {
	var r Recorder
	_ = r.Publish(context.Background(), "a", 1)
	_ = r.Publish(context.Background(), "b", 2)
	if ts := r.Topics(); len(ts) != 2 || ts[0] != "a" || ts[1] != "b" {
		t.Fatalf("topics = %v", ts)
	}
}

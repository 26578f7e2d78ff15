// Package events is the monolith's in-process publish/subscribe bus. Domains publish facts
// ("an order was placed") on a topic; other domains subscribe in main. Delivery is synchronous
// and in order; a failing subscriber is logged and does not stop the others.
package events

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
)

// Handler receives one event's payload.
type Handler func(ctx context.Context, payload any) error

// Publisher publishes events. Domains depend on this interface, not on the Bus.
type Publisher interface {
	Publish(ctx context.Context, topic string, payload any) error
}

// Bus delivers published events to the topic's subscribers.
type Bus struct {
	log  *slog.Logger
	mu   sync.RWMutex
	subs map[string][]namedHandler
}

type namedHandler struct {
	name string
	fn   Handler
}

// NewBus returns an empty bus that logs subscriber failures to log.
func NewBus(log *slog.Logger) *Bus {
	if log == nil {
		log = slog.Default()
	}
	return &Bus{log: log, subs: map[string][]namedHandler{}}
}

// Subscribe adds fn as a subscriber of topic. name identifies it in logs.
func (b *Bus) Subscribe(topic, name string, fn Handler) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.subs[topic] = append(b.subs[topic], namedHandler{name: name, fn: fn})
}

// Publish delivers payload to every subscriber of topic, in subscription order. It returns an
// error joining the subscribers' failures only for logging by the caller: the publisher's own
// work has already happened and is not undone.
func (b *Bus) Publish(ctx context.Context, topic string, payload any) error {
	b.mu.RLock()
	subs := b.subs[topic]
	b.mu.RUnlock()
	var failed int
	for _, s := range subs {
		if err := s.fn(ctx, payload); err != nil {
			failed++
			b.log.ErrorContext(ctx, "event subscriber failed", "topic", topic, "subscriber", s.name, "err", err)
		}
	}
	if failed > 0 {
		return fmt.Errorf("events: %d of %d subscribers of %s failed", failed, len(subs), topic)
	}
	return nil
}

// Typed adapts a handler of a concrete payload type to a Handler. A payload of another type is
// an error: it means two domains disagree on a topic's contract.
func Typed[T any](fn func(ctx context.Context, ev T) error) Handler {
	return func(ctx context.Context, payload any) error {
		ev, ok := payload.(T)
		if !ok {
			var zero T
			return fmt.Errorf("events: payload %T is not %T", payload, zero)
		}
		return fn(ctx, ev)
	}
}

// Discard is a Publisher that drops every event, for tests and tools.
type Discard struct{}

// Publish drops the event.
func (Discard) Publish(context.Context, string, any) error { return nil }

// Recorder is a Publisher that remembers what was published, for tests.
type Recorder struct {
	mu     sync.Mutex
	Events []Recorded
}

// Recorded is one event seen by a Recorder.
type Recorded struct {
	Topic   string
	Payload any
}

// Publish records the event.
func (r *Recorder) Publish(_ context.Context, topic string, payload any) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Events = append(r.Events, Recorded{Topic: topic, Payload: payload})
	return nil
}

// Topics returns the topics published so far, in order.
func (r *Recorder) Topics() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.Events))
	for i, e := range r.Events {
		out[i] = e.Topic
	}
	return out
}

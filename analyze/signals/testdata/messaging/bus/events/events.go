// Package events is an in-process event bus.
package events

import "sync"

// Topic names an event stream.
type Topic string

// Topics.
const (
	OrderPlaced Topic = "order.placed"
	OrderPaid   Topic = "order.paid"
)

// Bus delivers events to subscribers in process.
type Bus struct {
	mu   sync.Mutex
	subs map[Topic][]func(any)
}

// Publish delivers ev to the subscribers of topic.
func (b *Bus) Publish(topic Topic, ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, h := range b.subs[topic] {
		h(ev)
	}
}

// Subscribe registers h for topic.
func (b *Bus) Subscribe(topic Topic, h func(any)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.subs == nil {
		b.subs = map[Topic][]func(any){}
	}
	b.subs[topic] = append(b.subs[topic], h)
}

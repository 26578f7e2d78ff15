package signals

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/carve-dev/carve/analyze/facts"
)

// topicWant is one expected topic use: package (relative to the fixture module), system,
// topic and role.
type topicWant struct{ pkg, system, topic, role string }

// TestMessagingFixtures reads each messaging fixture and checks every topic with the package
// and role (publish or consume) of each use.
// Long on purpose: its length is the table of cases, one row per fixture.
func TestMessagingFixtures(t *testing.T) {
	cases := []struct {
		name  string
		buses []string
		want  []topicWant
	}{
		{"bus", []string{"events"}, []topicWant{
			{"billing", "bus", "order.paid", facts.Publish},
			{"billing", "bus", "order.placed", facts.Consume},
			{"orders", "bus", "order.placed", facts.Publish},
			{"shipping", "bus", "order.paid", facts.Consume}, // subscribed by cmd/app, handled in shipping
		}},
		{"nats", nil, []topicWant{
			{"pub", "nats", "orders.audit", facts.Publish},
			{"pub", "nats", "orders.created", facts.Publish},
			{"sub", "nats", "orders.audit", facts.Consume},
			{"sub", "nats", "orders.created", facts.Consume},
		}},
		{"amqp", nil, []topicWant{
			{"pub", "amqp", "orders/order.created", facts.Publish},
			{"sub", "amqp", "orders/order.created", facts.Consume},
		}},
		{"sarama", nil, []topicWant{
			{"pub", "kafka", "payments", facts.Publish},
			{"sub", "kafka", "payments", facts.Consume},
		}},
		{"franz", nil, []topicWant{
			{"pub", "kafka", "refunds", facts.Publish},
			{"sub", "kafka", "refunds", facts.Consume},
		}},
		{"kafkago", nil, []topicWant{
			{"pub", "kafka", "shipments", facts.Publish},
			{"sub", "kafka", "shipments", facts.Consume},
		}},
		{"../data/redis", nil, []topicWant{
			{"ratelimit", "redis", "sessions.ended", facts.Consume},
			{"sessions", "redis", "sessions.ended", facts.Publish},
		}},
		{"pubsub", nil, []topicWant{
			{"pub", "pubsub", "invoices-issued", facts.Publish},
			{"sub", "pubsub", "invoices-issued", facts.Consume},
		}},
		{"watermill", nil, []topicWant{
			{"pub", "watermill", "orders.placed", facts.Publish},
			{"sub", "watermill", "invoices.created", facts.Consume},
			{"sub", "watermill", "invoices.created", facts.Publish},
			{"sub", "watermill", "orders.placed", facts.Consume},
		}},
		{"snssqs", nil, []topicWant{
			{"pub", "sns", "user-signed-up", facts.Publish},
			{"pub", "sqs", "welcome-emails", facts.Publish},
			{"sub", "sqs", "welcome-emails", facts.Consume},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := libFixture(t, "messaging", c.name, Messaging{})
			prefix := "example.com/" + path.Base(c.name) + "/"
			var got []topicWant
			for _, u := range f.Topics {
				got = append(got, topicWant{strings.TrimPrefix(u.Package, prefix), u.System, u.Topic, u.Role})
				if len(u.Sites) == 0 {
					t.Errorf("%+v: no sites", u)
				}
				for _, s := range u.Sites {
					if !strings.HasSuffix(s.File, ".go") || s.Line <= 0 {
						t.Errorf("%+v: bad site %v", u, s)
					}
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("topics:\n got %v\nwant %v", got, c.want)
			}
			var buses []string
			for _, b := range f.Buses {
				buses = append(buses, strings.TrimPrefix(b, prefix))
			}
			if !slices.Equal(buses, c.buses) {
				t.Errorf("buses: got %v, want %v", buses, c.buses)
			}
			checkGolden(t, "messaging", path.Base(c.name), struct {
				Topics []facts.TopicUse
				Buses  []string
			}{f.Topics, f.Buses})
		})
	}
}

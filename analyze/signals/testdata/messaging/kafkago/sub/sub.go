package sub

import (
	"github.com/segmentio/kafka-go"

	"example.com/kafkago/pub"
)

// NewReader reads shipments.
func NewReader() *kafka.Reader {
	return kafka.NewReader(kafka.ReaderConfig{Brokers: []string{"localhost:9092"}, GroupID: "tracking", Topic: pub.TopicShipments})
}

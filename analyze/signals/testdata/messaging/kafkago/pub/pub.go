package pub

import "github.com/segmentio/kafka-go"

// TopicShipments is the shipments topic.
const TopicShipments = "shipments"

// NewWriter returns a writer to the shipments topic.
func NewWriter() *kafka.Writer {
	return &kafka.Writer{Addr: kafka.TCP("localhost:9092"), Topic: TopicShipments}
}

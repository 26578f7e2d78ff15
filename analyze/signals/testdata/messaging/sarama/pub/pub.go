package pub

import "github.com/IBM/sarama"

// Send produces a payment event.
func Send(p sarama.SyncProducer, v []byte) error {
	_, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: "payments", Value: sarama.ByteEncoder(v)})
	return err
}

package config

import (
	"net/url"
	"regexp"
	"strings"

	"github.com/carve-dev/carve/internal/yamlcfg"
)

// topicName is SNS's rule for topic names: 1–256 letters, digits, hyphens and underscores, with
// .fifo at the end of a FIFO topic.
var topicName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}(\.fifo)?$`)

// TopicParts splits an SNS topic ARN (arn:PARTITION:sns:REGION:ACCOUNT:NAME) into its region and
// name; ok is false when arn is not one.
func TopicParts(arn string) (region, name string, ok bool) {
	f := strings.Split(arn, ":")
	if len(f) != 6 || f[0] != "arn" || f[1] == "" || f[2] != "sns" || f[3] == "" || f[4] == "" || !topicName.MatchString(f[5]) {
		return "", "", false
	}
	return f[3], f[5], true
}

// QueueParts splits an SQS queue URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME) into the
// region its host names ("" when the host names none, as an emulator's does) and the queue name;
// ok is false when u is not a queue URL.
func QueueParts(u string) (region, name string, ok bool) {
	pu, err := url.Parse(u)
	if err != nil || (pu.Scheme != "https" && pu.Scheme != "http") || pu.Host == "" {
		return "", "", false
	}
	path := strings.Split(strings.Trim(pu.Path, "/"), "/")
	if len(path) != 2 || path[0] == "" || !topicName.MatchString(path[1]) || len(path[1]) > 80 {
		return "", "", false
	}
	host := strings.Split(pu.Hostname(), ".")
	switch {
	case len(host) >= 4 && host[0] == "sqs" && host[len(host)-2] == "amazonaws":
		region = host[1]
	case len(host) >= 4 && host[1] == "queue" && host[len(host)-2] == "amazonaws":
		region = host[0]
	}
	return region, path[1], true
}

// IsFIFO reports whether a topic or queue name is a FIFO one.
func IsFIFO(name string) bool { return strings.HasSuffix(name, ".fifo") }

// setEventDefaults takes an event sink's region from its topic ARN or queue URL.
func setEventDefaults(s *Sink) {
	if t := s.SNS; t != nil && t.Region == "" {
		t.Region, _, _ = TopicParts(t.TopicArn)
	}
	if q := s.SQS; q != nil && q.Region == "" {
		q.Region, _, _ = QueueParts(q.QueueURL)
	}
}

// validateEvents checks a pipeline whose sink publishes events.
func validateEvents(doc *yamlcfg.Doc, at string, p *Pipeline) {
	if t := p.Sink.SNS; t != nil {
		switch _, _, ok := TopicParts(t.TopicArn); {
		case t.TopicArn == "":
			doc.Add(at+".sink.sns.topic_arn", "missing: name the topic, e.g. arn:aws:sns:eu-west-1:123456789012:orders-changed")
		case !ok:
			doc.Add(at+".sink.sns.topic_arn", "%q is not a topic ARN: want arn:aws:sns:REGION:ACCOUNT:NAME (NAME: letters, digits, - and _, .fifo for a FIFO topic)", t.TopicArn)
		}
	}
	if q := p.Sink.SQS; q != nil {
		switch _, _, ok := QueueParts(q.QueueURL); {
		case q.QueueURL == "":
			doc.Add(at+".sink.sqs.queue_url", "missing: name the queue, e.g. https://sqs.eu-west-1.amazonaws.com/123456789012/orders-changed")
		case !ok:
			doc.Add(at+".sink.sqs.queue_url", "%q is not a queue URL: want https://sqs.REGION.amazonaws.com/ACCOUNT/NAME (NAME: letters, digits, - and _, at most 80, .fifo for a FIFO queue)", q.QueueURL)
		}
	}
	if p.BothWays != nil {
		doc.Add(at+".both_ways", "two-way pipelines need a DynamoDB sink (an %s sink publishes events and has no stream to read back)", p.Sink.Kind())
	}
}

package testenv_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/carve-dev/carve/internal/testenv"
)

// TestMoto: the SDK's SQS client (JSON protocol) sends a batch to a FIFO queue that delivers it
// in order once; PublishBatch to a topic reaches its raw subscribed queue with the attributes;
// a missing queue and a missing topic answer with the SDK's typed errors.
func TestMoto(t *testing.T) {
	m := testenv.MotoServer(t)
	ctx := context.Background()
	q, err := m.CreateQueue(ctx, "q.fifo")
	if err != nil {
		t.Fatal(err)
	}
	var entries []sqstypes.SendMessageBatchRequestEntry
	for i := range 10 {
		entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), MessageBody: aws.String(fmt.Sprint("m", i)),
			MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String(fmt.Sprint("d", i))})
	}
	out, err := m.SQS.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(q), Entries: entries})
	if err != nil || len(out.Successful) != 10 {
		t.Fatalf("send batch: %v %+v", err, out)
	}
	ms, err := m.Drain(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, msg := range ms {
		got = append(got, msg.Body)
	}
	if fmt.Sprint(got) != "[m0 m1 m2 m3 m4 m5 m6 m7 m8 m9]" {
		t.Errorf("FIFO queue delivered %v", got)
	}
	if again, _ := m.Drain(ctx, q); len(again) != 0 {
		t.Errorf("received again: %+v", again)
	}

	arn, err := m.CreateTopic(ctx, "t", "sub")
	if err != nil {
		t.Fatal(err)
	}
	pb, err := m.SNS.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: aws.String(arn), PublishBatchRequestEntries: []snstypes.PublishBatchRequestEntry{
		{Id: aws.String("0"), Message: aws.String(`{"a":[1,2]}`), MessageAttributes: map[string]snstypes.MessageAttributeValue{"event": {DataType: aws.String("String"), StringValue: aws.String("INSERT")}}},
		{Id: aws.String("1"), Message: aws.String(`{"b":3}`)},
	}})
	if err != nil || len(pb.Successful) != 2 {
		t.Fatalf("publish batch: %v %+v", err, pb)
	}
	sub := m.QueueURL("sub")
	ms, err = m.Drain(ctx, sub)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].Body != `{"a":[1,2]}` || ms[0].Attributes["event"] != "INSERT" || ms[1].Body != `{"b":3}` {
		t.Errorf("subscribed queue: %+v", ms)
	}

	_, err = m.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(m.QueueURL("nope"))})
	if nf := (*sqstypes.QueueDoesNotExist)(nil); !errors.As(err, &nf) {
		t.Errorf("missing queue: %v", err)
	}
	_, err = m.SNS.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(arn + "-nope")})
	if nf := (*snstypes.NotFoundException)(nil); !errors.As(err, &nf) {
		t.Errorf("missing topic: %v", err)
	}
}

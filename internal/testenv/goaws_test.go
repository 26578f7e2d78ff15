package testenv_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/carve-dev/carve/internal/testenv"
)

// TestGoAWS: a message published with the SDK's SNS client reaches the subscribed queue once,
// body and attributes intact; a topic the config did not create does not exist.
func TestGoAWS(t *testing.T) {
	g := testenv.GoAWS(t, []testenv.Topic{{Name: "t", Queues: []string{"q1", "q2"}}}, "alone")
	ctx := context.Background()
	c := sns.NewFromConfig(testenv.ClientConfig(), func(o *sns.Options) { o.BaseEndpoint = aws.String(g.Endpoint) })
	_, err := c.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(g.TopicArn("t")), Message: aws.String(`{"a":[1,2]}`),
		MessageAttributes: map[string]snstypes.MessageAttributeValue{"event": {DataType: aws.String("String"), StringValue: aws.String("INSERT")}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"q1", "q2"} {
		ms, err := g.Drain(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) != 1 || ms[0].Body != `{"a":[1,2]}` || ms[0].Attributes["event"] != "INSERT" {
			t.Errorf("%s: %+v", q, ms)
		}
		if again, _ := g.Drain(ctx, q); len(again) != 0 {
			t.Errorf("%s: received again: %+v", q, again)
		}
	}
	if ms, err := g.Drain(ctx, "alone"); err != nil || len(ms) != 0 {
		t.Errorf("unsubscribed queue: %v %v", ms, err)
	}
	if _, err := c.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(g.TopicArn("other")), Message: aws.String("x")}); err == nil {
		t.Error("published to a topic that does not exist")
	}
}

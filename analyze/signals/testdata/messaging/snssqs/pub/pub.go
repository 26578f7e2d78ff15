package pub

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

const (
	topicARN = "arn:aws:sns:eu-west-1:123456789012:user-signed-up"
	queueURL = "https://sqs.eu-west-1.amazonaws.com/123456789012/welcome-emails"
)

// SignedUp announces a new user and queues their welcome email.
func SignedUp(ctx context.Context, t *sns.Client, q *sqs.Client, id string) error {
	if _, err := t.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(topicARN), Message: aws.String(id)}); err != nil {
		return err
	}
	_, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(queueURL), MessageBody: aws.String(id)})
	return err
}

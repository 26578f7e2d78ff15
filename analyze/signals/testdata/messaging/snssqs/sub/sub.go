package sub

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// Poll receives welcome emails to send.
func Poll(ctx context.Context, q *sqs.Client) (*sqs.ReceiveMessageOutput, error) {
	return q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String("https://sqs.eu-west-1.amazonaws.com/123456789012/welcome-emails")})
}

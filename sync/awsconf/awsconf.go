// Package awsconf builds the AWS SDK clients sync uses (DynamoDB, its streams, SNS, SQS) from a
// region and an endpoint.
package awsconf

import (
	"context"
	"fmt"
	"net/http"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// Load returns an aws.Config for region (default us-east-1 when the SDK chain has none). With a
// custom endpoint (DynamoDB Local) and no credentials in the environment it uses static dummy
// credentials. Retries of the SDK are kept (throttling, 5xx) without the client-side retry quota,
// which would turn a burst of throttling into failures; sync backs off on its own above it.
func Load(ctx context.Context, region, endpoint string) (aws.Config, error) {
	opts := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.RateLimiter = ratelimit.None
				o.MaxAttempts = 5
			})
		}),
		awsconfig.WithHTTPClient(awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
			tr.MaxIdleConns = 256
			tr.MaxIdleConnsPerHost = 256
		})),
	}
	if region != "" {
		opts = append(opts, awsconfig.WithRegion(region))
	}
	if endpoint != "" && os.Getenv("AWS_ACCESS_KEY_ID") == "" {
		opts = append(opts, awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("carve", "carve", "")))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("aws config: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	return cfg, nil
}

// DynamoDB returns a DynamoDB client for region and endpoint.
func DynamoDB(ctx context.Context, region, endpoint string) (*dynamodb.Client, error) {
	cfg, err := Load(ctx, region, endpoint)
	if err != nil {
		return nil, err
	}
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
			// DynamoDB Local sometimes sends a CRC32 header that does not match the body.
			o.DisableValidateResponseChecksum = true
		}
	}), nil
}

// Streams returns a DynamoDB Streams client for region and endpoint.
func Streams(ctx context.Context, region, endpoint string) (*dynamodbstreams.Client, error) {
	cfg, err := Load(ctx, region, endpoint)
	if err != nil {
		return nil, err
	}
	return dynamodbstreams.NewFromConfig(cfg, func(o *dynamodbstreams.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	}), nil
}

// SNS returns an SNS client for region and endpoint.
func SNS(ctx context.Context, region, endpoint string) (*sns.Client, error) {
	cfg, err := Load(ctx, region, endpoint)
	if err != nil {
		return nil, err
	}
	return sns.NewFromConfig(cfg, func(o *sns.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	}), nil
}

// SQS returns an SQS client for region and endpoint.
func SQS(ctx context.Context, region, endpoint string) (*sqs.Client, error) {
	cfg, err := Load(ctx, region, endpoint)
	if err != nil {
		return nil, err
	}
	return sqs.NewFromConfig(cfg, func(o *sqs.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	}), nil
}

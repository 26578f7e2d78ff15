// Package awsconf builds the AWS SDK clients sync uses (DynamoDB, its streams, SNS, SQS) from a
// region and an endpoint, by internal/awsclient's one rule for region, endpoint and credentials,
// with the retries and connection pool sync's load wants.
package awsconf

import (
	"context"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/carve-dev/carve/internal/awsclient"
)

// regionKey is what the error asks for when no region is found: sinks and stores take the
// source's region unless they give their own (topics and queues: their ARN's or URL's).
const regionKey = "source.region in the sync config (or the sink's or store's own region:)"

// Load returns an aws.Config for region and endpoint (awsclient's rule). Retries of the SDK are
// kept (throttling, 5xx) without the client-side retry quota, which would turn a burst of
// throttling into failures; sync backs off on its own above it.
func Load(ctx context.Context, region, endpoint string) (aws.Config, error) {
	return awsclient.Load(ctx, target(region, endpoint), tuning()...)
}

func target(region, endpoint string) awsclient.Target {
	return awsclient.Target{Region: region, Endpoint: endpoint, RegionKey: regionKey}
}

func tuning() []func(*awsconfig.LoadOptions) error {
	return []func(*awsconfig.LoadOptions) error{
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
}

// DynamoDB returns a DynamoDB client for region and endpoint.
func DynamoDB(ctx context.Context, region, endpoint string) (*dynamodb.Client, error) {
	return awsclient.DynamoDB(ctx, target(region, endpoint), tuning()...)
}

// Streams returns a DynamoDB Streams client for region and endpoint.
func Streams(ctx context.Context, region, endpoint string) (*dynamodbstreams.Client, error) {
	cfg, err := Load(ctx, region, endpoint)
	if err != nil {
		return nil, err
	}
	return dynamodbstreams.NewFromConfig(cfg), nil
}

// SNS returns an SNS client for region and endpoint.
func SNS(ctx context.Context, region, endpoint string) (*sns.Client, error) {
	cfg, err := Load(ctx, region, endpoint)
	if err != nil {
		return nil, err
	}
	return sns.NewFromConfig(cfg), nil
}

// SQS returns an SQS client for region and endpoint.
func SQS(ctx context.Context, region, endpoint string) (*sqs.Client, error) {
	cfg, err := Load(ctx, region, endpoint)
	if err != nil {
		return nil, err
	}
	return sqs.NewFromConfig(cfg), nil
}

// Package awsclient builds the AWS SDK configuration of every AWS client carve makes — the sync
// job's DynamoDB, DynamoDB Streams, SNS and SQS clients, the proxy's weights table and its Lambda
// upstreams — so that region, endpoint and credentials follow one rule everywhere:
//
//   - Region: the one the carve config gives; else the SDK's environment (AWS_REGION,
//     AWS_DEFAULT_REGION, the profile's region in the shared config file); else, for a loopback
//     endpoint only, us-east-1; else an error that names the config key and AWS_REGION.
//   - Endpoint: the one the carve config gives, for every call of the client; else the SDK's
//     AWS_ENDPOINT_URL; else AWS's own.
//   - Credentials: the SDK's default chain; except that for a loopback endpoint, when the
//     environment names no credential source (AWS_ACCESS_KEY_ID, AWS_PROFILE, a container or
//     web-identity source), static dummy credentials (DummyKey).
//
// Why: a loopback endpoint (localhost, 127.0.0.0/8, ::1) is an emulator on this machine —
// DynamoDB Local, goaws, moto, the Lambda Runtime Interface Emulator — which checks no signature
// and lives in no region, and searching the credential chain there would wait seconds for the EC2
// instance metadata service before failing. Anywhere else a guessed region is a table or a
// function looked for in the wrong place, so carve asks for it instead of guessing. Credentials
// the environment names are kept even for an emulator: DynamoDB Local keeps one database per
// access key and region unless started with -sharedDb.
package awsclient

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// EmulatorRegion is the region of a loopback endpoint when neither the config nor the
// environment names one.
const EmulatorRegion = "us-east-1"

// DummyKey is the access key id and secret of the static credentials used for a loopback
// endpoint when the environment names no credentials (the ones carve's tests use too).
const DummyKey = "carve"

// ErrNoRegion is the error (wrapped) when no region is configured for an endpoint that is not
// loopback.
var ErrNoRegion = errors.New("no AWS region")

// Target is where a client connects, as a carve config states it.
type Target struct {
	// Region is the configured region; empty: the environment's.
	Region string
	// Endpoint is the base URL every call goes to (an emulator, a VPC endpoint); empty: AWS's.
	Endpoint string
	// RegionKey names the config key that sets Region, for the error when no region is found,
	// e.g. "store.dynamodb.region".
	RegionKey string
}

// Load returns the aws.Config for t by the package's rule. opts tune the SDK the caller's way
// (retries, HTTP transport); they cannot change region or credentials, which the rule decides.
func Load(ctx context.Context, t Target, opts ...func(*awsconfig.LoadOptions) error) (aws.Config, error) {
	d := decide(t, os.Getenv)
	all := slices.Clone(opts)
	if t.Region != "" {
		all = append(all, awsconfig.WithRegion(t.Region))
	}
	if d.dummyCredentials {
		all = append(all, awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(DummyKey, DummyKey, "")))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, all...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load the AWS config: %w", err)
	}
	if cfg.Region, err = d.region(cfg.Region); err != nil {
		return aws.Config{}, err
	}
	if t.Endpoint != "" {
		cfg.BaseEndpoint = aws.String(t.Endpoint)
	}
	return cfg, nil
}

// DynamoDB returns a DynamoDB client for t. With a custom endpoint the client does not check the
// response's CRC32 header, which DynamoDB Local sometimes sends wrong.
func DynamoDB(ctx context.Context, t Target, opts ...func(*awsconfig.LoadOptions) error) (*dynamodb.Client, error) {
	cfg, err := Load(ctx, t, opts...)
	if err != nil {
		return nil, err
	}
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		o.DisableValidateResponseChecksum = t.Endpoint != ""
	}), nil
}

// decision is what the rule makes of a target before the SDK has looked at the environment.
type decision struct {
	loopback         bool
	dummyCredentials bool
	regionKey        string
}

// decide applies the rule's first half to t, reading the environment through getenv.
func decide(t Target, getenv func(string) string) decision {
	endpoint := t.Endpoint
	if endpoint == "" {
		endpoint = getenv("AWS_ENDPOINT_URL") // the SDK's own setting, which it applies itself
	}
	lb := IsLoopback(endpoint)
	return decision{loopback: lb, dummyCredentials: lb && !namesCredentials(getenv), regionKey: t.RegionKey}
}

// region is the rule's second half: the region the SDK found (the configured one, or the
// environment's), else the emulator's for a loopback endpoint, else an error.
func (d decision) region(found string) (string, error) {
	switch {
	case found != "":
		return found, nil
	case d.loopback:
		return EmulatorRegion, nil
	}
	key := d.regionKey
	if key == "" {
		key = "the region in the config"
	}
	return "", fmt.Errorf("%w: set %s or AWS_REGION (only a loopback endpoint, an emulator, defaults to %s)", ErrNoRegion, key, EmulatorRegion)
}

// IsLoopback reports whether endpoint is a URL whose host is localhost or a loopback address.
func IsLoopback(endpoint string) bool {
	if endpoint == "" {
		return false
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return false
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// namesCredentials reports whether the environment names a credential source of the SDK's chain.
func namesCredentials(getenv func(string) string) bool {
	for _, k := range []string{
		"AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
		"AWS_WEB_IDENTITY_TOKEN_FILE",
	} {
		if getenv(k) != "" {
			return true
		}
	}
	return false
}

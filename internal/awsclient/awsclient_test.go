package awsclient

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestIsLoopback(t *testing.T) {
	for _, tc := range []struct {
		endpoint string
		want     bool
	}{
		{"", false},
		{"http://127.0.0.1:8000", true},
		{"http://127.1.2.3:8000", true},
		{"http://localhost:4566", true},
		{"http://LOCALHOST", true},
		{"http://[::1]:9000", true},
		{"https://dynamodb.eu-west-1.amazonaws.com", false},
		{"http://dynamodb-local:8000", false}, // a container's name: not this machine
		{"http://10.0.0.5:8000", false},
		{"127.0.0.1:8000", false}, // not a URL with a host
		{"::bad", false},
	} {
		if got := IsLoopback(tc.endpoint); got != tc.want {
			t.Errorf("IsLoopback(%q) = %v, want %v", tc.endpoint, got, tc.want)
		}
	}
}

// The rule, decided from a target and an environment without the SDK.
func TestRule(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	for _, tc := range []struct {
		name       string
		target     Target
		env        func(string) string
		found      string // the region the SDK found (config or environment)
		wantRegion string
		wantDummy  bool
		wantErr    string
	}{
		{"configured region, AWS", Target{Region: "eu-west-1"}, env(), "eu-west-1", "eu-west-1", false, ""},
		{"environment region, AWS", Target{}, env("AWS_REGION", "eu-west-2"), "eu-west-2", "eu-west-2", false, ""},
		{"no region, AWS", Target{RegionKey: "store.dynamodb.region"}, env(), "", "", false,
			"no AWS region: set store.dynamodb.region or AWS_REGION"},
		{"no region, remote endpoint", Target{Endpoint: "http://dynamodb-local:8000", RegionKey: "source.region"}, env(), "", "", false,
			"no AWS region: set source.region or AWS_REGION"},
		{"no region, loopback", Target{Endpoint: "http://127.0.0.1:8000"}, env(), "", EmulatorRegion, true, ""},
		{"loopback keeps the configured region", Target{Endpoint: "http://localhost:8000", Region: "eu-central-1"}, env(), "eu-central-1", "eu-central-1", true, ""},
		{"loopback keeps the environment's keys", Target{Endpoint: "http://127.0.0.1:8000"}, env("AWS_ACCESS_KEY_ID", "local"), "", EmulatorRegion, false, ""},
		{"loopback keeps the environment's profile", Target{Endpoint: "http://127.0.0.1:8000"}, env("AWS_PROFILE", "dev"), "", EmulatorRegion, false, ""},
		{"AWS never gets dummy keys", Target{Region: "us-west-2"}, env(), "us-west-2", "us-west-2", false, ""},
		{"the SDK's endpoint variable counts", Target{}, env("AWS_ENDPOINT_URL", "http://localhost:4566"), "", EmulatorRegion, true, ""},
		{"the config's endpoint wins over the variable", Target{Endpoint: "https://vpce.example.com", RegionKey: "source.region"}, env("AWS_ENDPOINT_URL", "http://localhost:4566"), "", "", false,
			"no AWS region: set source.region"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := decide(tc.target, tc.env)
			if d.dummyCredentials != tc.wantDummy {
				t.Errorf("dummy credentials %v, want %v", d.dummyCredentials, tc.wantDummy)
			}
			got, err := d.region(tc.found)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, ErrNoRegion) {
					t.Fatalf("region: %v, want an ErrNoRegion containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.wantRegion {
				t.Fatalf("region = %q, %v; want %q", got, err, tc.wantRegion)
			}
		})
	}
}

// isolate gives the SDK an environment with no shared files and no AWS variables.
func isolate(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY",
		"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
		"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ENDPOINT_URL"} {
		t.Setenv(k, "")
	}
}

// Load through the SDK: what the rule decided is what the client gets.
func TestLoad(t *testing.T) {
	ctx := context.Background()
	t.Run("loopback", func(t *testing.T) {
		isolate(t)
		cfg, err := Load(ctx, Target{Endpoint: "http://127.0.0.1:8000"})
		if err != nil {
			t.Fatal(err)
		}
		creds, err := cfg.Credentials.Retrieve(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Region != EmulatorRegion || creds.AccessKeyID != DummyKey || cfg.BaseEndpoint == nil || *cfg.BaseEndpoint != "http://127.0.0.1:8000" {
			t.Errorf("region %q, key %q, endpoint %v", cfg.Region, creds.AccessKeyID, cfg.BaseEndpoint)
		}
	})
	t.Run("environment", func(t *testing.T) {
		isolate(t)
		t.Setenv("AWS_DEFAULT_REGION", "ap-south-1")
		t.Setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
		cfg, err := Load(ctx, Target{Endpoint: "http://localhost:8000"})
		if err != nil {
			t.Fatal(err)
		}
		creds, err := cfg.Credentials.Retrieve(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Region != "ap-south-1" || creds.AccessKeyID != "AKIDENV" {
			t.Errorf("region %q, key %q: want the environment's", cfg.Region, creds.AccessKeyID)
		}
	})
	t.Run("configured region wins", func(t *testing.T) {
		isolate(t)
		t.Setenv("AWS_REGION", "ap-south-1")
		cfg, err := Load(ctx, Target{Region: "eu-west-1"})
		if err != nil || cfg.Region != "eu-west-1" || cfg.BaseEndpoint != nil {
			t.Fatalf("region %q, endpoint %v, err %v", cfg.Region, cfg.BaseEndpoint, err)
		}
	})
	t.Run("no region", func(t *testing.T) {
		isolate(t)
		_, err := Load(ctx, Target{RegionKey: "lambda.region"})
		if !errors.Is(err, ErrNoRegion) || !strings.Contains(err.Error(), "set lambda.region or AWS_REGION") {
			t.Fatalf("Load: %v", err)
		}
	})
	t.Run("dynamodb", func(t *testing.T) {
		isolate(t)
		c, err := DynamoDB(ctx, Target{Endpoint: "http://127.0.0.1:8000"})
		if err != nil {
			t.Fatal(err)
		}
		if o := c.Options(); !o.DisableValidateResponseChecksum || o.Region != EmulatorRegion || *o.BaseEndpoint != "http://127.0.0.1:8000" {
			t.Errorf("options: checksum off %v, region %q, endpoint %v", o.DisableValidateResponseChecksum, o.Region, o.BaseEndpoint)
		}
	})
}

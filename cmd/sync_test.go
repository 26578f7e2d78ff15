package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/carve-dev/carve/internal/testenv"
)

// TestSyncScripts runs the sync CLI scripts. Scripts that need DynamoDB Local start one with
// `ddb start` (a fresh instance per script) and drive it with `ddb table|put|delete`;
// `envsubst FILE` expands $VARS (such as $DDB_ENDPOINT) in a file.
func TestSyncScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join("testdata", "sync"),
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"ddb":      ddbCmd,
			"envsubst": envsubstCmd,
			"exitcode": exitcodeCmd,
		},
	})
}

func envsubstCmd(ts *testscript.TestScript, neg bool, args []string) {
	for _, f := range args {
		b := ts.ReadFile(f)
		out := os.Expand(b, ts.Getenv)
		if err := os.WriteFile(ts.MkAbs(f), []byte(out), 0o644); err != nil {
			ts.Fatalf("envsubst %s: %v", f, err)
		}
	}
}

func ddbCmd(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) == 0 {
		ts.Fatalf("usage: ddb start | table NAME KEY [stream] | put TABLE JSON | delete TABLE KEY VALUE")
	}
	ctx := context.Background()
	client := func() *dynamodb.Client {
		ep := ts.Getenv("DDB_ENDPOINT")
		if ep == "" {
			ts.Fatalf("ddb start first")
		}
		return dynamodb.NewFromConfig(testenv.ClientConfig(), func(o *dynamodb.Options) {
			o.BaseEndpoint = aws.String(ep)
			o.DisableValidateResponseChecksum = true
		})
	}
	var err error
	switch args[0] {
	case "start":
		d, serr := testenv.StartDynamoDB(ts.MkAbs("."))
		if serr != nil {
			ts.Fatalf("%v", serr)
		}
		ts.Defer(d.Stop)
		ts.Setenv("DDB_ENDPOINT", d.Endpoint)
		return
	case "table":
		if len(args) < 3 {
			ts.Fatalf("ddb table NAME KEY [stream]")
		}
		in := &dynamodb.CreateTableInput{
			TableName:            aws.String(args[1]),
			AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String(args[2]), AttributeType: types.ScalarAttributeTypeS}},
			KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String(args[2]), KeyType: types.KeyTypeHash}},
			BillingMode:          types.BillingModePayPerRequest,
		}
		if len(args) > 3 && args[3] == "stream" {
			in.StreamSpecification = &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewAndOldImages}
		}
		_, err = client().CreateTable(ctx, in)
	case "put":
		if len(args) != 3 {
			ts.Fatalf("ddb put TABLE JSON")
		}
		var m map[string]any
		d := json.NewDecoder(strings.NewReader(args[2]))
		d.UseNumber()
		if err := d.Decode(&m); err != nil {
			ts.Fatalf("ddb put: %v", err)
		}
		for k, v := range m {
			if n, ok := v.(json.Number); ok {
				f, _ := n.Float64()
				m[k] = f
			}
		}
		it, merr := attributevalue.MarshalMap(m)
		if merr != nil {
			ts.Fatalf("ddb put: %v", merr)
		}
		_, err = client().PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(args[1]), Item: it})
	case "delete":
		if len(args) != 4 {
			ts.Fatalf("ddb delete TABLE KEY VALUE")
		}
		_, err = client().DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(args[1]),
			Key: map[string]types.AttributeValue{args[2]: &types.AttributeValueMemberS{Value: args[3]}}})
	default:
		ts.Fatalf("ddb: unknown subcommand %s", args[0])
	}
	if err != nil != neg {
		ts.Fatalf("ddb %s: %v", strings.Join(args, " "), err)
	}
}

// TestSyncExitCodes checks the codes scripts cannot tell apart: bad config 2, drift 3.
func TestSyncExitCodes(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("source: {table: shop, tabel: x}\npipelines: []\n"), 0o644)
	var out, errb bytes.Buffer
	if code := Main([]string{"sync", "validate", "--config", bad}, Streams{Out: &out, Err: &errb}); code != exitInput {
		t.Fatalf("invalid config: exit %d, want 2 (%s)", code, errb.String())
	}
	if code := Main([]string{"sync", "verify", "--config", filepath.Join(dir, "missing.yaml")}, Streams{Out: &out, Err: &errb}); code != exitInput {
		t.Fatalf("missing config: exit %d, want 2", code)
	}

	d := testenv.DynamoDB(t)
	for _, tb := range []struct{ name, key string }{{"shop", "pk"}, {"orders", "pk"}} {
		_, err := d.Client.CreateTable(context.Background(), &dynamodb.CreateTableInput{
			TableName:            aws.String(tb.name),
			AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String(tb.key), AttributeType: types.ScalarAttributeTypeS}},
			KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String(tb.key), KeyType: types.KeyTypeHash}},
			BillingMode:          types.BillingModePayPerRequest,
			StreamSpecification:  &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewAndOldImages},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	d.Client.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String("shop"), Item: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "a"}}})
	cfg := filepath.Join(dir, "sync.yaml")
	os.WriteFile(cfg, []byte("source: {table: shop, endpoint: \""+d.Endpoint+"\"}\ncheckpoints: {file: "+filepath.Join(dir, "cp.json")+"}\npipelines: [{name: copy, sink: {dynamodb: {table: orders}}}]\n"), 0o644)
	out.Reset()
	errb.Reset()
	if code := Main([]string{"sync", "verify", "--config", cfg}, Streams{Out: &out, Err: &errb}); code != exitDiffers {
		t.Fatalf("drift: exit %d, want 3\n%s%s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "missing pk=a") || !strings.Contains(errb.String(), "drifted") {
		t.Fatalf("drift report:\n%s\n%s", out.String(), errb.String())
	}
}

// A sync config that names no region for AWS itself (no loopback endpoint), in an environment
// that names none either, is bad input (exit 2) saying what to set, before anything connects.
func TestSyncWithoutRegion(t *testing.T) {
	dir := t.TempDir()
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "none"))
	cfg := filepath.Join(dir, "sync.yaml")
	os.WriteFile(cfg, []byte("source: {table: shop}\ncheckpoints: {file: "+filepath.Join(dir, "cp.json")+"}\npipelines: [{name: copy, sink: {dynamodb: {table: orders}}}]\n"), 0o644)
	for _, cmd := range []string{"verify", "backfill"} {
		var out, errb bytes.Buffer
		code := Main([]string{"sync", cmd, "--config", cfg}, Streams{In: strings.NewReader(""), Out: &out, Err: &errb})
		if code != exitInput || !strings.Contains(errb.String(), "no AWS region: set source.region in the sync config") {
			t.Errorf("carve sync %s without a region: exit %d, want 2\n%s", cmd, code, errb.String())
		}
	}
}

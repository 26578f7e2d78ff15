package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/smithy-go"
	"golang.org/x/sync/errgroup"

	"github.com/carve-dev/carve/internal/testenv"
	"github.com/carve-dev/carve/sync/awsconf"
	"github.com/carve-dev/carve/sync/item"
	"github.com/carve-dev/carve/sync/sink"
	"github.com/carve-dev/carve/sync/stream"
)

// snsResult is the SNS sink phase: carve end to end into a topic against a bare publishing loop
// on the same emulator.
type snsResult struct {
	bare, sink, carve float64 // records/s
	call              string  // what the emulator answered: PublishBatch, or Publish ×10 in parallel
}

// snsPhase measures, each on a fresh goaws with a topic feeding a queue, a bare loop publishing
// the n messages carve would (the same bodies and attributes) with -writers goroutines, each
// sending ten at a time as one PublishBatch (or, on an emulator without PublishBatch, as ten
// Publish calls in parallel: what carve does there); carve's SNS sink publishing the same
// changes; and `carve sync run` carrying the n records in src's stream into the topic.
func snsPhase(ctx context.Context, dir, ddbEndpoint string, n int) (snsResult, error) {
	// A fresh emulator per measurement: goaws keeps every delivered message and walks them all
	// every second, so a later phase on the same instance would run slower.
	fresh := func() (*testenv.SNSSQS, *sns.Client, error) {
		g, err := testenv.StartGoAWS(dir, []testenv.Topic{{Name: "bench", Queues: []string{"bench-q"}}})
		if err != nil {
			return nil, nil, err
		}
		api, err := awsconf.SNS(ctx, g.Region, g.Endpoint)
		if err != nil {
			g.Stop()
			return nil, nil, err
		}
		return g, api, nil
	}
	bodies := make([]string, n)
	ws := make([]sink.Write, n)
	for i := range bodies {
		it := benchItem(i)
		ws[i] = sink.Write{Item: it, Keys: item.Item{"pk": it["pk"]}, Event: "INSERT", Version: fmt.Sprintf("%040d", i), Ref: "bench/" + strconv.Itoa(i), Created: time.Now()}
		b, err := json.Marshal(sink.NewEvent("src", "copy", ws[i]))
		if err != nil {
			return snsResult{}, err
		}
		bodies[i] = string(b)
	}
	g, api, err := fresh()
	if err != nil {
		return snsResult{}, err
	}
	res := snsResult{call: "PublishBatch"}
	single, err := batchUnsupported(ctx, api, g.TopicArn("bench"))
	g.Stop()
	if err != nil {
		return snsResult{}, err
	}
	if single {
		res.call = "10 Publish in parallel (no PublishBatch)"
	}
	// Rounds alternate the three, each on a fresh emulator, and the medians are compared: other
	// work on the machine then weighs on all of them alike.
	var bare, sinkRates, carve []float64
	for round := range *snsRounds {
		for _, m := range []struct {
			rates *[]float64
			run   func(g *testenv.SNSSQS, api *sns.Client) (time.Duration, error)
		}{
			{&bare, func(g *testenv.SNSSQS, api *sns.Client) (time.Duration, error) {
				t0 := time.Now()
				err := barePublish(ctx, api, g.TopicArn("bench"), bodies, *writers, single)
				return time.Since(t0), err
			}},
			{&sinkRates, func(g *testenv.SNSSQS, api *sns.Client) (time.Duration, error) {
				return sinkPublish(ctx, api, g.TopicArn("bench"), ws)
			}},
			{&carve, func(g *testenv.SNSSQS, _ *sns.Client) (time.Duration, error) {
				return carvePublish(dir, ddbEndpoint, fmt.Sprint("e2e-sns-", round), g, n)
			}},
		} {
			g, api, err := fresh()
			if err != nil {
				return snsResult{}, err
			}
			took, err := m.run(g, api)
			g.Stop()
			if err != nil {
				return snsResult{}, err
			}
			*m.rates = append(*m.rates, float64(n)/took.Seconds())
		}
	}
	res.bare, res.sink, res.carve = median(bare), median(sinkRates), median(carve)
	return res, nil
}

// sinkPublish publishes ws through carve's SNS sink as the job drives it: batches of 1000 writes
// (GetRecords' page), one after the other, -writers lanes each.
func sinkPublish(ctx context.Context, api *sns.Client, arn string, ws []sink.Write) (time.Duration, error) {
	s, err := sink.OpenSNS(ctx, api, arn, "src", "copy", *writers, stream.Backoff{})
	if err != nil {
		return 0, err
	}
	t0 := time.Now()
	for lo := 0; lo < len(ws); lo += 1000 {
		if _, err := s.Apply(ctx, ws[lo:min(lo+1000, len(ws))]); err != nil {
			return 0, err
		}
	}
	return time.Since(t0), nil
}

// carvePublish runs `carve sync run` over the n records in src's stream into g's topic (from the
// stream's start: a checkpoint file of its own) and returns the time from the first record
// applied to the last, scaled to n.
func carvePublish(dir, ddbEndpoint, name string, g *testenv.SNSSQS, n int) (time.Duration, error) {
	cfg, port, err := writeSinkConfig(dir, name, ddbEndpoint, fmt.Sprintf("{sns: {topic_arn: %q, endpoint: %q}}", g.TopicArn("bench"), g.Endpoint))
	if err != nil {
		return 0, err
	}
	rate, err := runToEnd(dir, cfg, name, port, n)
	if err != nil {
		return 0, err
	}
	return time.Duration(float64(n) / rate * float64(time.Second)), nil
}

// batchUnsupported reports whether the endpoint answers PublishBatch with no AWS error document
// (an emulator without the call).
func batchUnsupported(ctx context.Context, api *sns.Client, arn string) (bool, error) {
	_, err := api.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: aws.String(arn), PublishBatchRequestEntries: []snstypes.PublishBatchRequestEntry{{Id: aws.String("probe"), Message: aws.String("{}")}}})
	var re *awshttp.ResponseError
	var de *smithy.DeserializationError
	if errors.As(err, &re) && re.HTTPStatusCode() == 400 && errors.As(err, &de) {
		return true, nil
	}
	return false, err
}

// benchAttrs are the message attributes carve sends with every event (table, pipeline, event):
// the bare loop sends the same messages.
var benchAttrs = map[string]snstypes.MessageAttributeValue{
	"table":    {DataType: aws.String("String"), StringValue: aws.String("src")},
	"pipeline": {DataType: aws.String("String"), StringValue: aws.String("copy")},
	"event":    {DataType: aws.String("String"), StringValue: aws.String("INSERT")},
}

// barePublish publishes bodies from w goroutines, ten at a time.
func barePublish(ctx context.Context, api *sns.Client, arn string, bodies []string, w int, single bool) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, w)
	for range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				lo := int(next.Add(10)) - 10
				if lo >= len(bodies) {
					return
				}
				chunk := bodies[lo:min(lo+10, len(bodies))]
				if err := publishTen(ctx, api, arn, chunk, single); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

func publishTen(ctx context.Context, api *sns.Client, arn string, chunk []string, single bool) error {
	if !single {
		entries := make([]snstypes.PublishBatchRequestEntry, len(chunk))
		for i, b := range chunk {
			entries[i] = snstypes.PublishBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), Message: aws.String(b), MessageAttributes: benchAttrs}
		}
		out, err := api.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: aws.String(arn), PublishBatchRequestEntries: entries})
		if err == nil && len(out.Failed) > 0 {
			err = fmt.Errorf("PublishBatch: %d entries failed", len(out.Failed))
		}
		return err
	}
	eg, ectx := errgroup.WithContext(ctx)
	for _, b := range chunk {
		eg.Go(func() error {
			_, err := api.Publish(ectx, &sns.PublishInput{TopicArn: aws.String(arn), Message: aws.String(b), MessageAttributes: benchAttrs})
			return err
		})
	}
	return eg.Wait()
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

package sink

import (
	"context"

	"github.com/carve-dev/carve/sync/awsconf"
	"github.com/carve-dev/carve/sync/config"
	"github.com/carve-dev/carve/sync/stream"
)

// Open opens the sink of a configured pipeline; source is the source table (named in events).
func Open(ctx context.Context, p config.Pipeline, source string, concurrency int, b stream.Backoff) (Sink, error) {
	switch s := p.Sink; {
	case s.DynamoDB != nil:
		d := s.DynamoDB
		api, err := awsconf.DynamoDB(ctx, d.Region, d.Endpoint)
		if err != nil {
			return nil, err
		}
		var tw *TwoWay
		if p.BothWays != nil {
			tw = &TwoWay{VersionAttribute: p.BothWays.VersionAttribute, TieWinner: p.BothWays.TieWinner, VersionType: p.BothWays.VersionType}
		}
		return OpenDynamoDBMode(ctx, api, d.Table, WriteMode(d.WriteMode), tw, concurrency, b)
	case s.SNS != nil:
		api, err := awsconf.SNS(ctx, s.SNS.Region, s.SNS.Endpoint)
		if err != nil {
			return nil, err
		}
		return nonNil(OpenSNS(ctx, api, s.SNS.TopicArn, source, p.Name, concurrency, b))
	case s.SQS != nil:
		api, err := awsconf.SQS(ctx, s.SQS.Region, s.SQS.Endpoint)
		if err != nil {
			return nil, err
		}
		return nonNil(OpenSQS(ctx, api, s.SQS.QueueURL, source, p.Name, concurrency, b))
	}
	pg := p.Sink.Postgres
	dsn, err := pg.PostgresDSN()
	if err != nil {
		return nil, err
	}
	return OpenPostgres(ctx, dsn, PostgresTable{Name: pg.Table, Key: pg.Key, Columns: pg.Columns}, concurrency)
}

// nonNil keeps a failed open from returning a Sink holding a nil pointer.
func nonNil(e *Events, err error) (Sink, error) {
	if err != nil {
		return nil, err
	}
	return e, nil
}

package sink

import (
	"context"

	"github.com/carve-dev/carve/sync/awsconf"
	"github.com/carve-dev/carve/sync/config"
	"github.com/carve-dev/carve/sync/stream"
)

// Open opens the sink of a configured pipeline.
func Open(ctx context.Context, p config.Pipeline, concurrency int, b stream.Backoff) (Sink, error) {
	if d := p.Sink.DynamoDB; d != nil {
		api, err := awsconf.DynamoDB(ctx, d.Region, d.Endpoint)
		if err != nil {
			return nil, err
		}
		var tw *TwoWay
		if p.BothWays != nil {
			tw = &TwoWay{VersionAttribute: p.BothWays.VersionAttribute, TieWinner: p.BothWays.TieWinner, VersionType: p.BothWays.VersionType}
		}
		return OpenDynamoDBMode(ctx, api, d.Table, WriteMode(d.WriteMode), tw, concurrency, b)
	}
	pg := p.Sink.Postgres
	dsn, err := pg.PostgresDSN()
	if err != nil {
		return nil, err
	}
	return OpenPostgres(ctx, dsn, PostgresTable{Name: pg.Table, Key: pg.Key, Columns: pg.Columns}, concurrency)
}

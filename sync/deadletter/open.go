package deadletter

import (
	"context"

	"github.com/carve-dev/carve/sync/awsconf"
	"github.com/carve-dev/carve/sync/config"
)

// Open opens the store the config names.
func Open(ctx context.Context, c config.DeadLetter) (Store, error) {
	if c.File != "" {
		return OpenFile(c.File)
	}
	api, err := awsconf.DynamoDB(ctx, c.DynamoDB.Region, c.DynamoDB.Endpoint)
	if err != nil {
		return nil, err
	}
	return OpenTable(ctx, api, c.DynamoDB.Table)
}

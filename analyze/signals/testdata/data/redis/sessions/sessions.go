package sessions

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

const prefix = "session:"

// Put stores a session.
func Put(ctx context.Context, rdb *redis.Client, id, user string) error {
	return rdb.Set(ctx, prefix+id, user, time.Hour).Err()
}

// Get reads a session.
func Get(ctx context.Context, rdb *redis.Client, id string) (string, error) {
	return rdb.Get(ctx, prefix+id).Result()
}

// Channel announces ended sessions.
const Channel = "sessions.ended"

// End deletes a session and announces it.
func End(ctx context.Context, rdb *redis.Client, id string) error {
	if err := rdb.Del(ctx, prefix+id).Err(); err != nil {
		return err
	}
	return rdb.Publish(ctx, Channel, id).Err()
}

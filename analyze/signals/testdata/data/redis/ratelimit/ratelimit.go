package ratelimit

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// Hit counts a request of user.
func Hit(ctx context.Context, rdb *redis.Client, user string) (int64, error) {
	return rdb.Incr(ctx, fmt.Sprintf("rate:%s", user)).Result()
}

// Sessions reads a user's session, as the sessions package writes it.
func Sessions(ctx context.Context, rdb *redis.Client, id string) (bool, error) {
	n, err := rdb.Exists(ctx, "session:"+id).Result()
	return n > 0, err
}

// Watch resets limits when sessions end.
func Watch(ctx context.Context, rdb *redis.Client) *redis.PubSub {
	return rdb.Subscribe(ctx, "sessions.ended")
}

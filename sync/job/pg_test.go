package job_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/jackc/pgx/v5"
)

func listOf(v ...string) types.AttributeValueMemberL {
	var l types.AttributeValueMemberL
	for _, s := range v {
		l.Value = append(l.Value, &types.AttributeValueMemberS{Value: s})
	}
	return l
}

func pgCheck(t testing.TB, dsn string) string {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err.Error()
	}
	defer conn.Close(ctx)
	var live, dead int
	if err := conn.QueryRow(ctx, "SELECT count(*) FILTER (WHERE NOT _carve_deleted), count(*) FILTER (WHERE _carve_deleted) FROM users").Scan(&live, &dead); err != nil {
		return err.Error()
	}
	if live != 19 || dead != 1 {
		return fmt.Sprintf("users: %d live %d tombstones, want 19 and 1", live, dead)
	}
	var name string
	var age int64
	var tags string
	if err := conn.QueryRow(ctx, "SELECT name, age, tags::text FROM users WHERE user_id = 'USER#07'").Scan(&name, &age, &tags); err != nil {
		return err.Error()
	}
	if name != "u7" || age != 27 || tags != `["a", "b"]` {
		return fmt.Sprintf("USER#07 = %q %d %s", name, age, tags)
	}
	return ""
}

package authors

import (
	"context"

	"example.com/sqlc/db"
)

// Name reads an author's name through the generated queries.
func Name(ctx context.Context, q *db.Queries, id int64) (string, error) { return q.GetAuthor(ctx, id) }

// Package pgx is a stub of the shape of jackc/pgx, for carve's tests.
package pgx

import "context"

type Conn struct{}
type Rows interface{ Close() }
type Row interface{ Scan(dest ...any) error }
type CommandTag struct{}

func (c *Conn) Exec(ctx context.Context, sql string, args ...any) (CommandTag, error) {
	return CommandTag{}, nil
}
func (c *Conn) Query(ctx context.Context, sql string, args ...any) (Rows, error) { return nil, nil }
func (c *Conn) QueryRow(ctx context.Context, sql string, args ...any) Row        { return nil }

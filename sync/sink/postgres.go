package sink

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/errgroup"

	"github.com/carve-dev/carve/sync/item"
)

// Postgres writes items as rows, one column per attribute, with multi-row
// INSERT … ON CONFLICT (key) DO UPDATE … WHERE the stored version is older (or absent). A delete
// is a tombstone: _carve_deleted = true, the delete's version, the key, and NULL in the other
// columns, except NOT NULL ones: there an existing row keeps its value and a new one gets the
// deleted item's last value, so that a table with required columns takes tombstones.
type Postgres struct {
	pool        *pgxpool.Pool
	table       string
	key         []string
	cols        []string          // data columns, key first, in a fixed order
	types       map[string]string // column → type
	notNull     map[string]bool   // data columns the existing table declares NOT NULL
	concurrency int
}

// PostgresTable describes the sink table.
type PostgresTable struct {
	Name    string
	Key     []string
	Columns map[string]string // column → type; key columns default to text
}

// OpenPostgres connects, then creates the table if it is missing or checks that it has the
// columns, types and primary key the config describes.
func OpenPostgres(ctx context.Context, dsn string, t PostgresTable, concurrency int) (*Postgres, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres sink %s: bad dsn: %w", t.Name, err)
	}
	if concurrency < 1 {
		concurrency = 1
	}
	cfg.MaxConns = int32(concurrency + 1)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres sink %s: %w", t.Name, err)
	}
	p := &Postgres{pool: pool, table: t.Name, key: t.Key, types: map[string]string{}, notNull: map[string]bool{}, concurrency: concurrency}
	for _, k := range t.Key {
		typ := strings.ToLower(t.Columns[k])
		if typ == "" {
			typ = "text"
		}
		p.types[k] = typ
		p.cols = append(p.cols, k)
	}
	var rest []string
	for c, typ := range t.Columns {
		if _, isKey := p.types[c]; !isKey {
			p.types[c] = strings.ToLower(typ)
			rest = append(rest, c)
		}
	}
	sort.Strings(rest)
	p.cols = append(p.cols, rest...)
	if err := p.ensureTable(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return p, nil
}

func ident(name string) string {
	return pgx.Identifier(strings.Split(name, ".")).Sanitize()
}

func (p *Postgres) ensureTable(ctx context.Context) error {
	schema, table := "", p.table
	if i := strings.IndexByte(p.table, '.'); i >= 0 {
		schema, table = p.table[:i], p.table[i+1:]
	}
	rows, err := p.pool.Query(ctx, `SELECT column_name, data_type, is_nullable = 'NO' FROM information_schema.columns
		WHERE table_name = $1 AND table_schema = COALESCE(NULLIF($2, ''), current_schema())`, table, schema)
	if err != nil {
		return fmt.Errorf("postgres sink %s: read table definition: %w", p.table, err)
	}
	have := map[string]string{}
	for rows.Next() {
		var c, t string
		var notNull bool
		if err := rows.Scan(&c, &t, &notNull); err != nil {
			return fmt.Errorf("postgres sink %s: %w", p.table, err)
		}
		have[c] = t
		if _, data := p.types[c]; data && notNull {
			p.notNull[c] = true
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("postgres sink %s: %w", p.table, err)
	}
	if len(have) == 0 {
		var defs []string
		for _, c := range p.cols {
			defs = append(defs, ident(c)+" "+p.types[c])
		}
		defs = append(defs, item.Seq+" numeric(40,0) NOT NULL", item.Deleted+" boolean NOT NULL DEFAULT false")
		keys := make([]string, len(p.key))
		for i, k := range p.key {
			keys[i] = ident(k)
		}
		defs = append(defs, "PRIMARY KEY ("+strings.Join(keys, ", ")+")")
		if _, err := p.pool.Exec(ctx, "CREATE TABLE IF NOT EXISTS "+ident(p.table)+" (\n  "+strings.Join(defs, ",\n  ")+"\n)"); err != nil {
			return fmt.Errorf("postgres sink %s: create table: %w", p.table, err)
		}
		return nil
	}
	var problems []string
	want := map[string]string{item.Seq: "numeric", item.Deleted: "boolean"}
	for c, t := range p.types {
		want[c] = t
	}
	for c, t := range want {
		got, ok := have[c]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("column %s is missing (want %s)", c, t))
		case got != t:
			problems = append(problems, fmt.Sprintf("column %s is %s, the config says %s", c, got, t))
		}
	}
	var pk []string
	prow, err := p.pool.Query(ctx, `SELECT a.attname FROM pg_index i
		JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
		WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)`, ident(p.table))
	if err != nil {
		return fmt.Errorf("postgres sink %s: read primary key: %w", p.table, err)
	}
	for prow.Next() {
		var c string
		prow.Scan(&c)
		pk = append(pk, c)
	}
	if prow.Err() != nil {
		return fmt.Errorf("postgres sink %s: read primary key: %w", p.table, prow.Err())
	}
	if strings.Join(pk, ",") != strings.Join(p.key, ",") {
		problems = append(problems, fmt.Sprintf("primary key is (%s), the config says (%s)", strings.Join(pk, ", "), strings.Join(p.key, ", ")))
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return fmt.Errorf("postgres sink %s: the existing table does not match the config: %s: alter the table or fix sink.postgres in the config", p.table, strings.Join(problems, "; "))
	}
	return nil
}

// Key implements Sink.
func (p *Postgres) Key() []string { return p.key }

// Close implements Sink.
func (p *Postgres) Close() { p.pool.Close() }

// Apply implements Sink.
func (p *Postgres) Apply(ctx context.Context, ws []Write) (Result, error) {
	ws, err := Coalesce(ws, p.key)
	if err != nil {
		return Result{}, err
	}
	ncols := len(p.cols) + 2
	per := max(1, min(500, 60000/ncols))
	var applied, stale atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(p.concurrency)
	// A delete without a value for a NOT NULL column (a keys-only delete) cannot be an INSERT,
	// not even one that conflicts: it marks the existing row instead.
	rows := ws[:0:0]
	for _, w := range ws {
		if !w.Delete || !p.lacksRequired(w) {
			rows = append(rows, w)
			continue
		}
		g.Go(func() error {
			n, err := p.markDeleted(gctx, w)
			applied.Add(n)
			stale.Add(1 - n)
			return err
		})
	}
	for lo := 0; lo < len(rows); lo += per {
		chunk := rows[lo:min(lo+per, len(rows))]
		g.Go(func() error {
			n, err := p.upsert(gctx, chunk)
			applied.Add(n)
			stale.Add(int64(len(chunk)) - n)
			return err
		})
	}
	err = g.Wait()
	return Result{Applied: int(applied.Load()), Stale: int(stale.Load())}, err
}

// lacksRequired reports whether w has no value for some NOT NULL column.
func (p *Postgres) lacksRequired(w Write) bool {
	for c := range p.notNull {
		if v, err := p.value(c, w); err != nil || v == nil {
			return true
		}
	}
	return false
}

// markDeleted turns the existing row of w's key into a tombstone, if its version is older (or
// absent). Without a row there is nothing to mark: the table cannot hold a tombstone without the
// required values, so a late older insert of that key is not blocked (docs/sync.md).
func (p *Postgres) markDeleted(ctx context.Context, w Write) (int64, error) {
	args := []any{w.Version}
	var where []string
	for _, k := range p.key {
		v, err := p.value(k, w)
		if err != nil {
			return 0, err
		}
		args = append(args, v)
		where = append(where, ident(k)+" = "+p.placeholder(len(args), p.types[k]))
	}
	tag, err := p.pool.Exec(ctx, "UPDATE "+ident(p.table)+" AS t SET "+item.Deleted+" = true, "+item.Seq+" = $1::numeric WHERE "+
		strings.Join(where, " AND ")+" AND (t."+item.Seq+" IS NULL OR t."+item.Seq+" < $1::numeric)", args...)
	if err != nil {
		return 0, p.classify(err)
	}
	return tag.RowsAffected(), nil
}

func (p *Postgres) classify(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && (strings.HasPrefix(pe.Code, "22") || strings.HasPrefix(pe.Code, "23")) {
		// Class 22 (data exception) and 23 (integrity): the data, not the database.
		return Permanent(fmt.Errorf("postgres sink %s: %w", p.table, err))
	}
	return fmt.Errorf("postgres sink %s: %w", p.table, err)
}

func (p *Postgres) upsert(ctx context.Context, ws []Write) (int64, error) {
	all := append(append([]string{}, p.cols...), item.Seq, item.Deleted)
	quoted := make([]string, len(all))
	for i, c := range all {
		quoted[i] = ident(c)
	}
	var sb strings.Builder
	sb.WriteString("INSERT INTO " + ident(p.table) + " AS t (" + strings.Join(quoted, ", ") + ") VALUES ")
	args := make([]any, 0, len(ws)*len(all))
	for r, w := range ws {
		if r > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString("(")
		for i, c := range p.cols {
			// A tombstone holds the key and NULL, except in NOT NULL columns: there a new row
			// carries the deleted item's last value and an existing row keeps its own (the SET
			// below).
			var v *string
			if !w.Delete || i < len(p.key) || p.notNull[c] {
				s, err := p.value(c, w)
				if err != nil && !w.Delete {
					return 0, err
				}
				v = s
			}
			args = append(args, v)
			fmt.Fprintf(&sb, "%s, ", p.placeholder(len(args), p.types[c]))
		}
		args = append(args, w.Version, w.Delete)
		fmt.Fprintf(&sb, "$%d::numeric, $%d::boolean)", len(args)-1, len(args))
	}
	keys := quoted[:len(p.key)]
	sb.WriteString(" ON CONFLICT (" + strings.Join(keys, ", ") + ") DO UPDATE SET ")
	for i, q := range quoted[len(p.key):] {
		if i > 0 {
			sb.WriteString(", ")
		}
		if p.notNull[all[len(p.key)+i]] {
			// A delete never writes NULL into a required column.
			sb.WriteString(q + " = CASE WHEN EXCLUDED." + item.Deleted + " THEN t." + q + " ELSE EXCLUDED." + q + " END")
		} else {
			sb.WriteString(q + " = EXCLUDED." + q)
		}
	}
	// A row without a version (written by someone else than sync) is overwritten, as the
	// DynamoDB sink does.
	sb.WriteString(" WHERE t." + item.Seq + " IS NULL OR t." + item.Seq + " < EXCLUDED." + item.Seq)
	tag, err := p.pool.Exec(ctx, sb.String(), args...)
	if err != nil {
		return 0, p.classify(err)
	}
	return tag.RowsAffected(), nil
}

func (p *Postgres) placeholder(n int, typ string) string {
	if typ == "bytea" {
		return fmt.Sprintf("decode($%d::text, 'base64')", n)
	}
	return fmt.Sprintf("$%d::text::%s", n, typ)
}

// value renders attribute c of w as the text PostgreSQL parses into the column's type; nil is
// NULL. A value that cannot become the column type is a permanent error.
func (p *Postgres) value(c string, w Write) (*string, error) {
	v, ok := w.Item[c]
	if !ok {
		return nil, nil
	}
	if _, null := v.(*types.AttributeValueMemberNULL); null {
		return nil, nil
	}
	typ := p.types[c]
	bad := func() (*string, error) {
		return nil, Permanent(fmt.Errorf("postgres sink %s: record %s: attribute %s (%T) does not fit column type %s", p.table, w.Ref, c, v, typ))
	}
	str := func(s string) (*string, error) { return &s, nil }
	switch typ {
	case "jsonb":
		b, err := json.Marshal(item.ToPlain(v))
		if err != nil {
			return bad()
		}
		return str(string(b))
	case "bytea":
		if b, ok := v.(*types.AttributeValueMemberB); ok {
			return str(base64.StdEncoding.EncodeToString(b.Value))
		}
		return bad()
	case "boolean":
		if b, ok := v.(*types.AttributeValueMemberBOOL); ok {
			return str(strconv.FormatBool(b.Value))
		}
		return bad()
	case "bigint", "integer", "numeric", "double precision":
		var n string
		switch v := v.(type) {
		case *types.AttributeValueMemberN:
			n = item.NormDecimal(v.Value)
		case *types.AttributeValueMemberS:
			n = item.NormDecimal(v.Value)
		default:
			return bad()
		}
		if typ == "bigint" || typ == "integer" {
			if _, err := strconv.ParseInt(n, 10, 64); err != nil {
				return bad()
			}
		} else if _, err := strconv.ParseFloat(n, 64); err != nil {
			return bad()
		}
		return str(n)
	default: // text
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			return str(v.Value)
		case *types.AttributeValueMemberN:
			return str(item.NormDecimal(v.Value))
		default:
			b, err := json.Marshal(item.ToPlain(v))
			if err != nil {
				return bad()
			}
			return str(string(b))
		}
	}
}

// Pool is the connection pool (tests read the table through it).
func (p *Postgres) Pool() *pgxpool.Pool { return p.pool }

// Columns lists the data columns, key first.
func (p *Postgres) Columns() []string { return p.cols }

// Types maps each column to its type.
func (p *Postgres) Types() map[string]string { return p.types }

// Table is the table name.
func (p *Postgres) Table() string { return p.table }

func init() { Register("postgres", func() Config { return new(PostgresConfig) }) }

// PostgresConfig is the `sink: {postgres: …}` block: a PostgreSQL table receiving items, one
// column per attribute.
type PostgresConfig struct {
	// DSN connects to the database; DSNEnv names an environment variable holding it instead.
	DSN    string `yaml:"dsn"`
	DSNEnv string `yaml:"dsn_env"`
	// Table is the table name (optionally schema.table); created if missing, validated if not.
	Table string `yaml:"table"`
	// Key lists the primary-key columns (attributes after mapping).
	Key []string `yaml:"key"`
	// Columns: column (= attribute after mapping) → PostgreSQL type: text, bigint, integer,
	// numeric, double precision, boolean, jsonb, bytea. Key columns default to text. Attributes
	// not listed are not copied.
	Columns map[string]string `yaml:"columns"`
}

// postgresTypes are the column types the sink writes.
var postgresTypes = []string{"text", "bigint", "integer", "numeric", "double precision", "boolean", "jsonb", "bytea"}

// Defaults has nothing to fill: the DSN is read when the sink opens.
func (pg *PostgresConfig) Defaults(Source) {}

// Validate checks the connection, the table, its key and the column types.
func (pg *PostgresConfig) Validate(c Check) {
	if pg.DSN == "" && pg.DSNEnv == "" {
		c.Add("", "missing dsn or dsn_env")
	}
	if pg.DSN != "" && pg.DSNEnv != "" {
		c.Add("", "set either dsn or dsn_env, not both")
	}
	if pg.Table == "" {
		c.Add("table", "missing")
	}
	if len(pg.Key) == 0 {
		c.Add("key", "missing: list the primary-key columns")
	}
	for _, col := range slices.Sorted(maps.Keys(pg.Columns)) {
		if typ := pg.Columns[col]; !slices.Contains(postgresTypes, strings.ToLower(typ)) {
			c.Add("columns."+col, "type %q: want one of %s", typ, strings.Join(postgresTypes, ", "))
		}
		if strings.HasPrefix(col, "_carve_") {
			c.Add("columns."+col, "columns starting with _carve_ are sync's own")
		}
	}
}

// Publishes is false: a PostgreSQL sink stores rows.
func (pg *PostgresConfig) Publishes() bool { return false }

// DSNValue resolves the DSN, from the environment if DSNEnv is set.
func (pg *PostgresConfig) DSNValue() (string, error) {
	if pg.DSN != "" {
		return pg.DSN, nil
	}
	v := os.Getenv(pg.DSNEnv)
	if v == "" {
		return "", fmt.Errorf("postgres sink %s: environment variable %s is empty: export the DSN in it", pg.Table, pg.DSNEnv)
	}
	return v, nil
}

// Open connects, then creates the table or checks it.
func (pg *PostgresConfig) Open(ctx context.Context, env Env) (Sink, error) {
	dsn, err := pg.DSNValue()
	if err != nil {
		return nil, err
	}
	return opened(OpenPostgres(ctx, dsn, PostgresTable{Name: pg.Table, Key: pg.Key, Columns: pg.Columns}, env.Concurrency))
}

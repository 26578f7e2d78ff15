package sink

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/carve-dev/carve/sync/item"
)

// Fingerprinter lets verify compare a sink with its source: it fingerprints a mapped source item
// the way the sink would store it, and lists the fingerprints of the live (non-tombstone) items
// the sink holds.
type Fingerprinter interface {
	Fingerprint(it item.Item) (key, hash string, err error)
	// List calls fn for every live item in the sink that keep accepts (nil keeps all); a
	// sink whose rows are not items (PostgreSQL) holds only its pipeline's rows and keeps all.
	List(ctx context.Context, keep func(item.Item) bool, fn func(key, hash string)) error
}

// KeyLister lists the keys of a sink's live items, as the key string Fingerprint gives and as
// the key attributes a tombstone needs: backfill's repair tombstones those gone from the source.
type KeyLister interface {
	ListKeys(ctx context.Context, keep func(item.Item) bool, fn func(key string, k item.Item)) error
}

// ScanAPI is the Scan call of DynamoDB.
type ScanAPI interface {
	Scan(context.Context, *dynamodb.ScanInput, ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
}

// Fingerprint implements Fingerprinter.
func (d *DynamoDB) Fingerprint(it item.Item) (string, string, error) {
	return item.KeyString(it, d.key), item.HashData(it), nil
}

// List implements Fingerprinter; the sink's client must also implement Scan.
func (d *DynamoDB) List(ctx context.Context, keep func(item.Item) bool, fn func(key, hash string)) error {
	return d.each(ctx, keep, func(it item.Item) { fn(item.KeyString(it, d.key), item.HashData(it)) })
}

// ListKeys implements KeyLister.
func (d *DynamoDB) ListKeys(ctx context.Context, keep func(item.Item) bool, fn func(key string, k item.Item)) error {
	return d.each(ctx, keep, func(it item.Item) {
		k := make(item.Item, len(d.key))
		for _, a := range d.key {
			k[a] = it[a]
		}
		fn(item.KeyString(it, d.key), k)
	})
}

// each calls fn for every live item in the table that keep accepts (nil keeps all).
func (d *DynamoDB) each(ctx context.Context, keep func(item.Item) bool, fn func(item.Item)) error {
	api, ok := d.api.(ScanAPI)
	if !ok {
		return fmt.Errorf("dynamodb sink %s: client cannot scan", d.table)
	}
	p := dynamodb.NewScanPaginator(api, &dynamodb.ScanInput{TableName: aws.String(d.table), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("dynamodb sink %s: scan: %w", d.table, err)
		}
		for _, it := range page.Items {
			if item.IsTombstone(it) || (keep != nil && !keep(it)) {
				continue
			}
			fn(it)
		}
	}
	return nil
}

// Fingerprint implements Fingerprinter: the columns as text, as the sink would write them.
func (p *Postgres) Fingerprint(it item.Item) (string, string, error) {
	vals := make([]*string, len(p.cols))
	for i, c := range p.cols {
		v, err := p.value(c, Write{Item: it, Ref: "verify"})
		if err != nil {
			return "", "", err
		}
		vals[i] = p.canonical(c, v)
	}
	return p.fingerprint(vals)
}

func (p *Postgres) fingerprint(vals []*string) (string, string, error) {
	h := sha256.New()
	var key []string
	for i, v := range vals {
		s := "\x00NULL"
		if v != nil {
			s = *v
		}
		if i < len(p.key) {
			key = append(key, p.cols[i]+"="+s)
		}
		fmt.Fprintf(h, "%q,", s)
	}
	return strings.Join(key, ","), hex.EncodeToString(h.Sum(nil))[:32], nil
}

// List implements Fingerprinter.
func (p *Postgres) List(ctx context.Context, _ func(item.Item) bool, fn func(key, hash string)) error {
	exprs := make([]string, len(p.cols))
	for i, c := range p.cols {
		switch p.types[c] {
		case "bytea":
			exprs[i] = "replace(encode(" + ident(c) + ", 'base64'), E'\\n', '')"
		default:
			exprs[i] = ident(c) + "::text"
		}
	}
	rows, err := p.pool.Query(ctx, "SELECT "+strings.Join(exprs, ", ")+" FROM "+ident(p.table)+" WHERE NOT "+item.Deleted)
	if err != nil {
		return fmt.Errorf("postgres sink %s: read rows: %w", p.table, err)
	}
	defer rows.Close()
	vals := make([]*string, len(p.cols))
	dest := make([]any, len(p.cols))
	for i := range vals {
		dest[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("postgres sink %s: read rows: %w", p.table, err)
		}
		for i, c := range p.cols {
			vals[i] = p.canonical(c, vals[i])
		}
		k, h, _ := p.fingerprint(vals)
		fn(k, h)
	}
	return rows.Err()
}

// ListKeys implements KeyLister: the key columns of the live rows, as attribute values the sink
// writes back into the same columns.
func (p *Postgres) ListKeys(ctx context.Context, _ func(item.Item) bool, fn func(key string, k item.Item)) error {
	exprs := make([]string, len(p.key))
	for i, c := range p.key {
		exprs[i] = ident(c) + "::text"
		if p.types[c] == "bytea" {
			exprs[i] = "replace(encode(" + ident(c) + ", 'base64'), E'\\n', '')"
		}
	}
	rows, err := p.pool.Query(ctx, "SELECT "+strings.Join(exprs, ", ")+" FROM "+ident(p.table)+" WHERE NOT "+item.Deleted)
	if err != nil {
		return fmt.Errorf("postgres sink %s: read keys: %w", p.table, err)
	}
	defer rows.Close()
	vals := make([]string, len(p.key))
	dest := make([]any, len(p.key))
	for i := range vals {
		dest[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("postgres sink %s: read keys: %w", p.table, err)
		}
		k := make(item.Item, len(p.key))
		var parts []string
		for i, c := range p.key {
			switch p.types[c] {
			case "bigint", "integer", "numeric", "double precision":
				k[c] = &types.AttributeValueMemberN{Value: vals[i]}
			case "bytea":
				b, err := base64.StdEncoding.DecodeString(vals[i])
				if err != nil {
					return fmt.Errorf("postgres sink %s: key %s: %w", p.table, c, err)
				}
				k[c] = &types.AttributeValueMemberB{Value: b}
			case "boolean":
				k[c] = &types.AttributeValueMemberBOOL{Value: vals[i] == "true"}
			default:
				k[c] = &types.AttributeValueMemberS{Value: vals[i]}
			}
			parts = append(parts, c+"="+*p.canonical(c, &vals[i]))
		}
		fn(strings.Join(parts, ","), k)
	}
	return rows.Err()
}

// canonical spells a column's value the same way whether it comes from a source item or from
// the table: JSON with sorted keys; numbers by value (numeric(10,2) prints 1.50 for 1.5, and
// double precision keeps 15–17 significant digits of a 38-digit number, printing 1e+20 for
// 100000000000000000000). Without it verify would report drift where there is none.
func (p *Postgres) canonical(col string, v *string) *string {
	if v == nil {
		return nil
	}
	var s string
	switch p.types[col] {
	case "jsonb":
		s = canonicalJSON(*v)
	case "double precision":
		f, err := strconv.ParseFloat(*v, 64)
		if err != nil {
			return v
		}
		s = strconv.FormatFloat(f, 'g', -1, 64)
	case "numeric", "bigint", "integer":
		s = item.NormDecimal(*v)
	default:
		return v
	}
	return &s
}

// canonicalJSON re-encodes JSON with sorted keys and no spaces (numbers kept as written).
func canonicalJSON(s string) string {
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return s
	}
	return string(b)
}

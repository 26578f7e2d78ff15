// Package ledger writes and purges entries through a dialect's builders.
package ledger

import (
	"github.com/doug-martin/goqu/v9"
	_ "github.com/doug-martin/goqu/v9/dialect/postgres"
)

var dialect = goqu.Dialect("postgres")

// Post builds the insert of a ledger entry.
func Post(account string, cents int) (string, []any, error) {
	return dialect.Insert("ledger_entries").Rows(goqu.Record{"account_id": account, "cents": cents}).ToSQL()
}

// Purge builds the delete of old entries.
func Purge() (string, []any, error) {
	return dialect.Delete("ledger_entries").Where(goqu.C("at").Lt("2020-01-01")).ToSQL()
}

// Balance reads an account's entries.
func Balance(account string) (string, []any, error) {
	return dialect.From("ledger_entries").Select(goqu.SUM("cents")).Where(goqu.Ex{"account_id": account}).ToSQL()
}

// Package accounts builds its SQL with goqu.
package accounts

import "github.com/doug-martin/goqu/v9"

const table = "accounts"

// Active builds the query of the active accounts with their owners.
func Active() (string, []any, error) {
	return goqu.From(table).Join(goqu.T("owners"), goqu.On(goqu.Ex{"owners.id": goqu.I("accounts.owner_id")})).Where(goqu.Ex{"active": true}).ToSQL()
}

// Open builds the insert of an account.
func Open(id string) (string, []any, error) {
	return goqu.Insert(table).Rows(goqu.Record{"id": id}).ToSQL()
}

// Close builds the update of an account's state.
func Close(id string) (string, []any, error) {
	return goqu.Update("accounts").Set(goqu.Record{"active": false}).Where(goqu.Ex{"id": id}).ToSQL()
}

package orders

import sq "github.com/Masterminds/squirrel"

const table = "orders"

// Open builds the query of a user's open orders, with their items.
func Open(user string) (string, []any, error) {
	return sq.Select("o.id").From(table + " o").Join("order_items i ON i.order_id = o.id").Where(sq.Eq{"user_id": user}).ToSql()
}

// Place builds the insert of an order.
func Place(id, user string) (string, []any, error) {
	return sq.Insert(table).Columns("id", "user_id").Values(id, user).PlaceholderFormat(sq.Dollar).ToSql()
}

// Cancel builds the update of an order's status.
func Cancel(id string) (string, []any, error) {
	return sq.Update("orders").Set("status", "cancelled").Where(sq.Eq{"id": id}).ToSql()
}

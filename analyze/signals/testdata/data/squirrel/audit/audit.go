package audit

import sq "github.com/Masterminds/squirrel"

// Purge builds the delete of old audit entries.
func Purge() (string, []any, error) {
	return sq.Delete("audit_log").Where("at < now() - interval '90 days'").ToSql()
}

// Record builds an audit insert through a statement builder.
func Record(what string) (string, []any, error) {
	b := sq.StatementBuilder.PlaceholderFormat(sq.Dollar)
	return b.Insert("").Into("audit_log").Columns("what").Values(what).ToSql()
}

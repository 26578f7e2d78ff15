package reports

import (
	"os"
	"strings"

	"github.com/jmoiron/sqlx"
)

// Signups counts users per day, with their orders.
func Signups(db *sqlx.DB) ([]int, error) {
	var n []int
	err := db.Select(&n, "SELECT count(*) FROM users u JOIN orders o ON o.user_id = u.id GROUP BY 1")
	return n, err
}

// Custom runs a query an operator configures: carve cannot see its tables.
func Custom(db *sqlx.DB) ([]int, error) {
	var n []int
	err := db.Select(&n, os.Getenv("REPORT_QUERY"))
	return n, err
}

// Archive copies orders into the archive: the statement is built, its constant start names the
// table written.
func Archive(db *sqlx.DB, cols []string) error {
	stmt := "INSERT INTO orders_archive (" + strings.Join(cols, ", ") + ") VALUES (" + strings.Repeat("?, ", len(cols)) + ")"
	_, err := db.Exec(stmt)
	return err
}

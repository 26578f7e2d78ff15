package reports

import (
	"os"

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

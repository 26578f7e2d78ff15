package users

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// User is a row of users.
type User struct {
	ID    int64  `db:"id"`
	Email string `db:"email"`
}

const insertUser = `INSERT INTO users (email) VALUES (:email)`

// Store keeps users.
type Store struct{ DB *sqlx.DB }

// Add inserts u.
func (s *Store) Add(ctx context.Context, u User) error {
	_, err := s.DB.NamedExecContext(ctx, insertUser, u)
	return err
}

// Get reads one user.
func (s *Store) Get(ctx context.Context, id int64) (User, error) {
	var u User
	err := s.DB.GetContext(ctx, &u, "SELECT id, email FROM users WHERE id = $1", id)
	return u, err
}

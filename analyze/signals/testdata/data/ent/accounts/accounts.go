// Package accounts reads users and places orders through the ent client.
package accounts

import (
	"context"

	"example.com/ent/ent"
	"example.com/ent/ent/user"
)

// Service holds the ent client.
type Service struct {
	db *ent.Client
}

// Name reads one user.
func (s *Service) Name(ctx context.Context, id int) (string, error) {
	u, err := s.db.User.Get(ctx, id)
	if err != nil {
		return "", err
	}
	return u.Name, nil
}

// Named lists the users with a name.
func (s *Service) Named(ctx context.Context, name string) ([]*ent.User, error) {
	return s.db.User.Query().Where(user.Name(name)).All(ctx)
}

// Place writes an order for a user.
func (s *Service) Place(ctx context.Context, userID, total int) error {
	_, err := s.db.Order.Create().SetUserID(userID).SetTotal(total).Save(ctx)
	return err
}

// Cancel deletes an order.
func (s *Service) Cancel(ctx context.Context, id int) error {
	return s.db.Order.DeleteOneID(id).Exec(ctx)
}

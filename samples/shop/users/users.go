// Package users manages customer accounts: registration, profiles and addresses. Accounts live
// in the shared single table (see users/store), next to carts and orders.
package users

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"

	"example.com/shop/models"
	"example.com/shop/platform/ids"
	"example.com/shop/platform/metrics"
)

// Errors of the users domain.
var (
	ErrNotFound   = errors.New("users: user not found")
	ErrEmailTaken = errors.New("users: email already registered")
	ErrInvalid    = errors.New("users: invalid user")
)

// Repository stores users. users/store implements it on the shared table.
type Repository interface {
	Create(ctx context.Context, u models.User) error
	Get(ctx context.Context, id string) (models.User, error)
	UpdateProfile(ctx context.Context, id, name string, addr *models.Address) (models.User, error)
}

// Service is the users' business logic.
type Service struct {
	Repo  Repository
	IDs   ids.Generator
	Clock ids.Clock
}

// Registration is what a new customer gives.
type Registration struct {
	Email   string          `json:"email"`
	Name    string          `json:"name"`
	Address *models.Address `json:"address,omitempty"`
}

// Register creates an account.
func (s *Service) Register(ctx context.Context, reg Registration) (models.User, error) {
	addr, err := mail.ParseAddress(strings.TrimSpace(reg.Email))
	if err != nil || addr.Name != "" {
		return models.User{}, fmt.Errorf("%w: email %q", ErrInvalid, reg.Email)
	}
	name := strings.TrimSpace(reg.Name)
	if name == "" {
		return models.User{}, fmt.Errorf("%w: name is empty", ErrInvalid)
	}
	if reg.Address != nil {
		if err := reg.Address.Validate(); err != nil {
			return models.User{}, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
	}
	u := models.User{
		ID:        s.IDs.New("usr"),
		Email:     strings.ToLower(addr.Address),
		Name:      name,
		Address:   reg.Address,
		CreatedAt: s.Clock.Now(),
	}
	if err := s.Repo.Create(ctx, u); err != nil {
		return models.User{}, fmt.Errorf("users: registering %s: %w", u.Email, err)
	}
	metrics.Default.Inc("users_registered_total")
	return u, nil
}

// Get returns one user.
func (s *Service) Get(ctx context.Context, id string) (models.User, error) {
	return s.Repo.Get(ctx, id)
}

// UpdateProfile changes a user's name and/or address; empty values are left as they are.
func (s *Service) UpdateProfile(ctx context.Context, id, name string, addr *models.Address) (models.User, error) {
	name = strings.TrimSpace(name)
	if addr != nil {
		if err := addr.Validate(); err != nil {
			return models.User{}, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
	}
	if name == "" && addr == nil {
		return models.User{}, fmt.Errorf("%w: nothing to update", ErrInvalid)
	}
	return s.Repo.UpdateProfile(ctx, id, name, addr)
}

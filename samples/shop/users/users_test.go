package users

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"example.com/shop/models"
	"example.com/shop/platform/ids"
)

type memRepo struct {
	mu     sync.Mutex
	byID   map[string]models.User
	emails map[string]bool
}

func newMemRepo() *memRepo {
	return &memRepo{byID: map[string]models.User{}, emails: map[string]bool{}}
}

func (m *memRepo) Create(_ context.Context, u models.User) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.emails[u.Email] {
		return ErrEmailTaken
	}
	m.emails[u.Email] = true
	m.byID[u.ID] = u
	return nil
}

func (m *memRepo) Get(_ context.Context, id string) (models.User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.byID[id]
	if !ok {
		return models.User{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return u, nil
}

func (m *memRepo) UpdateProfile(_ context.Context, id, name string, addr *models.Address) (models.User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.byID[id]
	if !ok {
		return models.User{}, ErrNotFound
	}
	if name != "" {
		u.Name = name
	}
	if addr != nil {
		u.Address = addr
	}
	m.byID[id] = u
	return u, nil
}

func newService() *Service {
	return &Service{Repo: newMemRepo(), IDs: &ids.Sequence{}, Clock: ids.NewFixedClock(time.Unix(0, 0))}
}

func TestRegister(t *testing.T) {
	ctx := context.Background()
	s := newService()
	u, err := s.Register(ctx, Registration{Email: " Ada@Example.com ", Name: "Ada"})
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != "usr_1" || u.Email != "ada@example.com" {
		t.Errorf("user = %+v", u)
	}
	if _, err := s.Register(ctx, Registration{Email: "ada@example.com", Name: "Other"}); !errors.Is(err, ErrEmailTaken) {
		t.Errorf("duplicate email: %v", err)
	}
	for _, bad := range []Registration{
		{Email: "not-an-email", Name: "x"},
		{Email: "Bob <bob@example.com>", Name: "x"},
		{Email: "bob@example.com"},
		{Email: "bob@example.com", Name: "Bob", Address: &models.Address{Name: "Bob"}},
	} {
		if _, err := s.Register(ctx, bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: err = %v", bad, err)
		}
	}
}

func TestHandler(t *testing.T) {
	mux := http.NewServeMux()
	(&Handler{Svc: newService()}).RegisterRoutes(mux)
	do := func(method, path, body string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader(body)))
		return rec
	}
	if rec := do("POST", "/users", `{"email":"ada@example.com","name":"Ada"}`); rec.Code != http.StatusCreated {
		t.Fatalf("register = %d %s", rec.Code, rec.Body)
	}
	addr := `{"address":{"name":"Ada","line1":"1 Rue","city":"Paris","postal_code":"75001","country":"FR"}}`
	if rec := do("PATCH", "/users/usr_1", addr); rec.Code != 200 || !strings.Contains(rec.Body.String(), "Paris") {
		t.Errorf("update = %d %s", rec.Code, rec.Body)
	}
	if rec := do("PATCH", "/users/usr_1", `{}`); rec.Code != 400 {
		t.Errorf("empty update = %d", rec.Code)
	}
	if rec := do("GET", "/users/usr_9", ""); rec.Code != 404 {
		t.Errorf("unknown = %d", rec.Code)
	}
}

// Package pets implements the petstore API.
package pets

import "net/http"

// Store implements api.ServerInterface.
type Store struct{}

// FindPets lists pets.
func (s *Store) FindPets(w http.ResponseWriter, r *http.Request) {}

// AddPet adds a pet.
func (s *Store) AddPet(w http.ResponseWriter, r *http.Request) {}

// FindPetByID returns a pet.
func (s *Store) FindPetByID(w http.ResponseWriter, r *http.Request, id int64) {}

// Package strict implements the petstore through oapi-codegen's strict server interface.
package strict

import "net/http"

// Pets implements api.StrictServerInterface.
type Pets struct{}

// FindPets lists pets.
func (Pets) FindPets(r *http.Request) (int, error) { return 0, nil }

// AddPet adds a pet.
func (Pets) AddPet(r *http.Request) (int, error) { return 0, nil }

// FindPetByID returns a pet.
func (Pets) FindPetByID(r *http.Request, id int64) (int, error) { return 0, nil }

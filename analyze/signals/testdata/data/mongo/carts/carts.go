package carts

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// Repo keeps carts in a collection held in a field.
type Repo struct{ coll *mongo.Collection }

// New opens the carts collection.
func New(c *mongo.Client) *Repo {
	return &Repo{coll: c.Database("shop").Collection("carts")}
}

// Save writes a cart.
func (r *Repo) Save(ctx context.Context, id string, items []string) error {
	_, err := r.coll.InsertOne(ctx, bson.M{"_id": id, "items": items})
	return err
}

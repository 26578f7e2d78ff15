package stats

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// Carts counts carts.
func Carts(ctx context.Context, db *mongo.Database) (int64, error) {
	return db.Collection("carts").CountDocuments(ctx, bson.M{})
}

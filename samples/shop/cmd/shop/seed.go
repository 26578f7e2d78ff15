package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"example.com/shop/catalog"
	"example.com/shop/inventory"
	"example.com/shop/models"
)

// demoProducts is the catalog written by -seed.
var demoProducts = []models.Product{
	{SKU: "mug-blue", Name: "Blue mug", Category: "kitchen", Price: models.Cents(1200), Active: true},
	{SKU: "mug-red", Name: "Red mug", Category: "kitchen", Price: models.Cents(1200), Active: true},
	{SKU: "pan-28", Name: "Frying pan 28 cm", Category: "kitchen", Price: models.Cents(4500), Active: true},
	{SKU: "tee-s", Name: "Tee shirt S", Category: "clothes", Price: models.Cents(1900), Active: true},
	{SKU: "tee-m", Name: "Tee shirt M", Category: "clothes", Price: models.Cents(1900), Active: true},
	{SKU: "tote", Name: "Tote bag", Category: "bags", Price: models.Cents(900), Active: true},
	{SKU: "poster", Name: "Poster (retired)", Category: "decor", Price: models.Cents(1500), Active: false},
}

// seed writes the demo catalog (skipping products that exist) and sets every demo SKU's stock
// to 1000 units.
func seed(ctx context.Context, a *app) error {
	levels := make([]inventory.Level, 0, len(demoProducts))
	now := time.Now().UTC()
	for _, p := range demoProducts {
		if _, err := a.catalog.Create(ctx, p); err != nil && !errors.Is(err, catalog.ErrExists) {
			return fmt.Errorf("seeding product %s: %w", p.SKU, err)
		}
		levels = append(levels, inventory.Level{SKU: p.SKU, OnHand: 1000, UpdatedAt: now})
	}
	if err := a.stock.Seed(ctx, levels); err != nil {
		return fmt.Errorf("seeding stock: %w", err)
	}
	return nil
}

// Package reports reads orders through the ent client.
package reports

import (
	"context"

	"example.com/ent/ent"
)

// Revenue sums the totals of all orders.
func Revenue(ctx context.Context, client *ent.Client) (int, error) {
	orders, err := client.Order.Query().All(ctx)
	if err != nil {
		return 0, err
	}
	sum := 0
	for _, o := range orders {
		sum += o.Total
	}
	return sum, nil
}

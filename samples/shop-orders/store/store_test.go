package store

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"example.com/shop-orders/orders"
)

// TestItemShape pins the item shape the monolith's orders/store writes in the shop table, so
// carve sync can copy items both ways without a mapping: the same keys, index keys and
// attribute names, updated_at a sortable string.
func TestItemShape(t *testing.T) {
	at := time.Date(2026, 11, 25, 10, 0, 0, 123456789, time.UTC)
	o := orders.Order{ID: "ord_1", UserID: "usr_1", Status: orders.Paid, Lines: []orders.Line{{SKU: "mug", Name: "Mug", Quantity: 1, UnitPrice: orders.Cents(1200)}},
		Subtotal: orders.Cents(1200), Total: orders.Cents(1690), Shipping: orders.Cents(490), CreatedAt: at, UpdatedAt: at.Add(time.Second)}
	item, err := attributevalue.MarshalMap(RecordOf(o))
	if err != nil {
		t.Fatal(err)
	}
	str := func(k string) string {
		s, _ := item[k].(*types.AttributeValueMemberS)
		if s == nil {
			t.Errorf("%s missing or not a string: %#v", k, item[k])
			return ""
		}
		return s.Value
	}
	for k, want := range map[string]string{
		"pk": "ORDER#ord_1", "sk": "META", "gsi1pk": "USER#usr_1", "gsi1sk": "ORDER#2026-11-25T10:00:00.123456789Z#ord_1",
		"entity": "order", "id": "ord_1", "user_id": "usr_1", "status": "paid", "updated_at": "2026-11-25T10:00:01.123456789Z",
	} {
		if got := str(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if _, ok := item["_carve_deleted"]; ok {
		t.Error("a live order carries _carve_deleted")
	}
	item["_carve_deleted"] = &types.AttributeValueMemberBOOL{Value: true}
	var rec Record
	if err := attributevalue.UnmarshalMap(item, &rec); err != nil || !rec.Deleted {
		t.Errorf("tombstone not read: %+v, %v", rec.Deleted, err)
	}
}

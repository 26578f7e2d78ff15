package store

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"example.com/shop/models"
)

func TestRecordKeysAndRoundTrip(t *testing.T) {
	o := models.Order{
		ID: "ord_1", UserID: "usr_9", Status: models.OrderPaid,
		Lines:    []models.OrderLine{{SKU: "mug", Name: "Mug", Quantity: 2, UnitPrice: models.Cents(900)}},
		Subtotal: models.Cents(1800), Total: models.Cents(2290), Shipping: models.Cents(490),
		ShipTo:    models.Address{Name: "Ada", Line1: "1 Rue", City: "Paris", PostalCode: "75001", Country: "FR"},
		CreatedAt: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
	}
	item, err := attributevalue.MarshalMap(RecordOf(o))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"pk": "ORDER#ord_1", "sk": "META", "gsi1pk": "USER#usr_9",
		"gsi1sk": "ORDER#2026-03-01T12:00:00Z#ord_1", "entity": "order", "status": "paid",
	}
	for k, v := range want {
		s, ok := item[k].(*types.AttributeValueMemberS)
		if !ok || s.Value != v {
			t.Errorf("%s = %v, want %q", k, item[k], v)
		}
	}
	var back Record
	if err := attributevalue.UnmarshalMap(item, &back); err != nil {
		t.Fatal(err)
	}
	if back.Order.Lines[0].UnitPrice.Cents != 900 || back.ShipTo.City != "Paris" || !back.CreatedAt.Equal(o.CreatedAt) {
		t.Errorf("round trip = %+v", back.Order)
	}
}

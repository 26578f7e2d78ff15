package store

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"example.com/shop/models"
)

func TestProfileItemRoundTrip(t *testing.T) {
	u := models.User{ID: "usr_1", Email: "ada@example.com", Name: "Ada", CreatedAt: time.Unix(1700000000, 0).UTC(), OrderCount: 2}
	item, err := attributevalue.MarshalMap(profileItem{PK: UserPrefix + u.ID, SK: ProfileSK, Entity: "user", User: u})
	if err != nil {
		t.Fatal(err)
	}
	if pk := item["pk"].(*types.AttributeValueMemberS).Value; pk != "USER#usr_1" {
		t.Errorf("pk = %q", pk)
	}
	if _, nested := item["User"]; nested {
		t.Error("embedded user was nested instead of flattened")
	}
	var back profileItem
	if err := attributevalue.UnmarshalMap(item, &back); err != nil {
		t.Fatal(err)
	}
	if back.User.Email != u.Email || back.OrderCount != 2 || !back.CreatedAt.Equal(u.CreatedAt) {
		t.Errorf("round trip = %+v", back.User)
	}
}

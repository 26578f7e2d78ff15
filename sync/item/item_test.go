package item

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestPadSeq(t *testing.T) {
	v, err := PadSeq("000000000000000000123")
	if err != nil || len(v) != 40 || !strings.HasSuffix(v, "123") {
		t.Fatalf("%q %v", v, err)
	}
	a, _ := PadSeq("99999999999999999999")  // 20 digits
	b, _ := PadSeq("100000000000000000000") // 21 digits
	if !(a < b) {
		t.Fatal("padded order is not numeric order")
	}
	for _, bad := range []string{"", "12a", strings.Repeat("1", 41)} {
		if _, err := PadSeq(bad); err == nil {
			t.Errorf("PadSeq(%q) accepted", bad)
		}
	}
}

func TestHashIsCanonical(t *testing.T) {
	a := Item{"n": &types.AttributeValueMemberN{Value: "1.50"}, "ss": &types.AttributeValueMemberSS{Value: []string{"b", "a"}},
		"m": &types.AttributeValueMemberM{Value: Item{"x": &types.AttributeValueMemberN{Value: "1e2"}}}, Seq: &types.AttributeValueMemberS{Value: "1"}}
	b := Item{"ss": &types.AttributeValueMemberSS{Value: []string{"a", "b"}}, "n": &types.AttributeValueMemberN{Value: "1.5"},
		"m": &types.AttributeValueMemberM{Value: Item{"x": &types.AttributeValueMemberN{Value: "100"}}}}
	if HashData(a) != HashData(b) {
		t.Fatal("equal items hash differently")
	}
	b["n"] = &types.AttributeValueMemberS{Value: "1.5"}
	if HashData(a) == HashData(b) {
		t.Fatal("a string and a number hash the same")
	}
	if NormDecimal("1.2300e2") != "123" || NormDecimal("0.50") != "0.5" || NormDecimal("-7") != "-7" {
		t.Fatal(NormDecimal("1.2300e2"), NormDecimal("0.50"))
	}
}

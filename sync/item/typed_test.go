package item

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TestTypedRoundTrip: an item through DynamoDB JSON and back keeps every type: binary is not a
// string, a set is not a list, a number keeps its spelling.
func TestTypedRoundTrip(t *testing.T) {
	in := Item{
		"s": &types.AttributeValueMemberS{Value: "aGk="}, "b": &types.AttributeValueMemberB{Value: []byte("hi")},
		"n": &types.AttributeValueMemberN{Value: "1.50"}, "ss": &types.AttributeValueMemberSS{Value: []string{"x", "y"}},
		"l":  &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberS{Value: "x"}, &types.AttributeValueMemberS{Value: "y"}}},
		"ns": &types.AttributeValueMemberNS{Value: []string{"1", "2"}}, "bs": &types.AttributeValueMemberBS{Value: [][]byte{[]byte("a")}},
		"m": &types.AttributeValueMemberM{Value: Item{"t": &types.AttributeValueMemberBOOL{Value: true}, "z": &types.AttributeValueMemberNULL{Value: true}}},
	}
	b, err := json.Marshal(Typed(in))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	out, err := FromTyped(m)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range in {
		if got, want := string(mustJSON(t, typed(out[k]))), string(mustJSON(t, typed(v))); got != want || typeName(out[k]) != typeName(v) {
			t.Errorf("%s: %s (%s), want %s (%s)", k, got, typeName(out[k]), want, typeName(v))
		}
	}
	if _, err := FromTyped(map[string]any{"x": map[string]any{"Q": "1"}}); err == nil {
		t.Fatal("an unknown type was accepted")
	}
}

func mustJSON(t *testing.T, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func typeName(v types.AttributeValue) string {
	b, _ := json.Marshal(typed(v))
	var m map[string]any
	json.Unmarshal(b, &m)
	for k := range m {
		return k
	}
	return ""
}

package item

import (
	"encoding/base64"
	"encoding/json"
	"math/big"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ToPlain turns an attribute value into plain JSON-able Go values (strings, json.Number, bools,
// nil, slices, maps); binary becomes base64. It is what a jsonb column and a dead letter hold.
func ToPlain(v types.AttributeValue) any {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return v.Value
	case *types.AttributeValueMemberN:
		return json.Number(NormDecimal(v.Value))
	case *types.AttributeValueMemberB:
		return base64.StdEncoding.EncodeToString(v.Value)
	case *types.AttributeValueMemberBOOL:
		return v.Value
	case *types.AttributeValueMemberNULL:
		return nil
	case *types.AttributeValueMemberSS:
		return v.Value
	case *types.AttributeValueMemberNS:
		out := make([]any, len(v.Value))
		for i, n := range v.Value {
			out[i] = json.Number(NormDecimal(n))
		}
		return out
	case *types.AttributeValueMemberBS:
		out := make([]string, len(v.Value))
		for i, b := range v.Value {
			out[i] = base64.StdEncoding.EncodeToString(b)
		}
		return out
	case *types.AttributeValueMemberL:
		out := make([]any, len(v.Value))
		for i, e := range v.Value {
			out[i] = ToPlain(e)
		}
		return out
	case *types.AttributeValueMemberM:
		return PlainMap(v.Value)
	default:
		return nil
	}
}

// PlainMap is ToPlain for a whole item.
func PlainMap(it Item) map[string]any {
	out := make(map[string]any, len(it))
	for k, v := range it {
		out[k] = ToPlain(v)
	}
	return out
}

// NormDecimal spells a number as a plain decimal (no exponent, no trailing zeros), suitable for
// JSON and PostgreSQL numeric.
func NormDecimal(s string) string {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return s
	}
	if r.IsInt() {
		return r.Num().String()
	}
	// A DynamoDB number has at most 38 significant digits.
	out := r.FloatString(40)
	for len(out) > 0 && out[len(out)-1] == '0' {
		out = out[:len(out)-1]
	}
	if len(out) > 0 && out[len(out)-1] == '.' {
		out = out[:len(out)-1]
	}
	return out
}

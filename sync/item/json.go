package item

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"

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

// NormDecimal spells a number as a plain decimal, exactly (no exponent, no leading or trailing
// zeros, every digit kept: DynamoDB numbers have up to 38 significant digits and exponents from
// -130 to +125), suitable for JSON and PostgreSQL numeric. Anything else is returned as is.
func NormDecimal(s string) string {
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	mant := strings.TrimLeft(s, "+-")
	exp := 0
	if i := strings.IndexAny(mant, "eE"); i >= 0 {
		e, err := strconv.Atoi(mant[i+1:])
		if err != nil || e > 1000 || e < -1000 {
			return s
		}
		mant, exp = mant[:i], e
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	digits := intPart + frac
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return s
	}
	point := len(intPart) + exp // digits[:point] is the integer part
	if point < 0 {
		digits = strings.Repeat("0", -point) + digits
		point = 0
	}
	if point > len(digits) {
		digits += strings.Repeat("0", point-len(digits))
	}
	ip := strings.TrimLeft(digits[:point], "0")
	fp := strings.TrimRight(digits[point:], "0")
	if ip == "" {
		ip = "0"
	}
	out := ip
	if fp != "" {
		out += "." + fp
	}
	if neg && out != "0" {
		out = "-" + out
	}
	return out
}

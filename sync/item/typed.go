package item

import (
	"encoding/base64"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Typed renders an item as DynamoDB JSON ({"S": "x"}, {"N": "1.5"}, {"B": base64}, {"SS": […]},
// {"L": […]}, {"M": {…}}, …): unlike ToPlain it keeps every type (binary vs string, sets vs
// lists, numbers as written), so that the item can be rebuilt exactly (FromTyped). Dead letters
// hold their images this way so that they can be replayed.
func Typed(it Item) map[string]any {
	if it == nil {
		return nil
	}
	out := make(map[string]any, len(it))
	for k, v := range it {
		out[k] = typed(v)
	}
	return out
}

func typed(v types.AttributeValue) map[string]any {
	b64 := func(bs [][]byte) []string {
		out := make([]string, len(bs))
		for i, b := range bs {
			out[i] = base64.StdEncoding.EncodeToString(b)
		}
		sort.Strings(out)
		return out
	}
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return map[string]any{"S": v.Value}
	case *types.AttributeValueMemberN:
		return map[string]any{"N": v.Value}
	case *types.AttributeValueMemberB:
		return map[string]any{"B": base64.StdEncoding.EncodeToString(v.Value)}
	case *types.AttributeValueMemberBOOL:
		return map[string]any{"BOOL": v.Value}
	case *types.AttributeValueMemberNULL:
		return map[string]any{"NULL": true}
	case *types.AttributeValueMemberSS:
		return map[string]any{"SS": v.Value}
	case *types.AttributeValueMemberNS:
		return map[string]any{"NS": v.Value}
	case *types.AttributeValueMemberBS:
		return map[string]any{"BS": b64(v.Value)}
	case *types.AttributeValueMemberL:
		l := make([]any, len(v.Value))
		for i, e := range v.Value {
			l[i] = typed(e)
		}
		return map[string]any{"L": l}
	case *types.AttributeValueMemberM:
		return map[string]any{"M": Typed(v.Value)}
	default:
		return map[string]any{"?": fmt.Sprintf("%T", v)}
	}
}

// FromTyped rebuilds an item from its DynamoDB JSON (as Typed wrote it, decoded by
// encoding/json into map[string]any).
func FromTyped(m map[string]any) (Item, error) {
	if m == nil {
		return nil, nil
	}
	out := make(Item, len(m))
	for k, raw := range m {
		v, err := fromTyped(raw)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", k, err)
		}
		out[k] = v
	}
	return out, nil
}

func fromTyped(raw any) (types.AttributeValue, error) {
	m, ok := raw.(map[string]any)
	if !ok || len(m) != 1 {
		return nil, fmt.Errorf("want one {\"TYPE\": value}, got %v", raw)
	}
	for t, v := range m {
		switch t {
		case "S", "N", "B":
			return scalarFromTyped(t, v)
		case "BOOL", "NULL":
			b, ok := v.(bool)
			if !ok {
				return nil, fmt.Errorf("%s wants true or false, got %v", t, v)
			}
			if t == "BOOL" {
				return &types.AttributeValueMemberBOOL{Value: b}, nil
			}
			return &types.AttributeValueMemberNULL{Value: b}, nil
		case "SS", "NS", "BS":
			return setFromTyped(t, v)
		case "L":
			return listFromTyped(v)
		case "M":
			mm, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("M wants an object, got %v", v)
			}
			it, err := FromTyped(mm)
			if err != nil {
				return nil, err
			}
			if it == nil {
				it = Item{}
			}
			return &types.AttributeValueMemberM{Value: it}, nil
		default:
			return nil, fmt.Errorf("unknown type %q", t)
		}
	}
	return nil, fmt.Errorf("want one {\"TYPE\": value}, got %v", raw)
}

// scalarFromTyped rebuilds an S, N or B value: a string (base64 for B).
func scalarFromTyped(t string, v any) (types.AttributeValue, error) {
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("%s wants a string, got %v", t, v)
	}
	switch t {
	case "S":
		return &types.AttributeValueMemberS{Value: s}, nil
	case "N":
		return &types.AttributeValueMemberN{Value: s}, nil
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("B: %w", err)
	}
	return &types.AttributeValueMemberB{Value: b}, nil
}

// setFromTyped rebuilds an SS, NS or BS value: a list of strings (base64 for BS).
func setFromTyped(t string, v any) (types.AttributeValue, error) {
	l, err := stringList(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t, err)
	}
	switch t {
	case "SS":
		return &types.AttributeValueMemberSS{Value: l}, nil
	case "NS":
		return &types.AttributeValueMemberNS{Value: l}, nil
	}
	bs := make([][]byte, len(l))
	for i, e := range l {
		b, err := base64.StdEncoding.DecodeString(e)
		if err != nil {
			return nil, fmt.Errorf("BS: %w", err)
		}
		bs[i] = b
	}
	return &types.AttributeValueMemberBS{Value: bs}, nil
}

// stringList reads a JSON list of strings.
func stringList(v any) ([]string, error) {
	l, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("want a list of strings, got %v", v)
	}
	out := make([]string, len(l))
	for i, e := range l {
		if out[i], ok = e.(string); !ok {
			return nil, fmt.Errorf("want a string, got %v", e)
		}
	}
	return out, nil
}

// listFromTyped rebuilds an L value, each element typed in turn.
func listFromTyped(v any) (types.AttributeValue, error) {
	l, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("L wants a list, got %v", v)
	}
	out := make([]types.AttributeValue, len(l))
	for i, e := range l {
		c, err := fromTyped(e)
		if err != nil {
			return nil, fmt.Errorf("L[%d]: %w", i, err)
		}
		out[i] = c
	}
	return &types.AttributeValueMemberL{Value: out}, nil
}

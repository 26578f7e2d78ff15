package stream_test

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	stypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/carve-dev/carve/sync/item"
	"github.com/carve-dev/carve/sync/stream"
)

// FuzzParseRecord feeds stream records (as the JSON a stream delivers, decoded into the SDK's
// shapes by a tiny decoder) to ParseRecord: it must never panic, and what it accepts must carry a
// 40-digit version and keys.
func FuzzParseRecord(f *testing.F) {
	f.Add(`{"seq":"000000000000000000001","event":"INSERT","keys":{"pk":{"S":"a"}},"new":{"pk":{"S":"a"},"n":{"N":"1.50"},"l":{"L":[{"BOOL":true},{"NULL":true}]},"m":{"M":{"x":{"SS":["b","a"]}}}}}`)
	f.Add(`{"seq":"12","event":"REMOVE","keys":{"pk":{"N":"7"}},"old":{"pk":{"N":"7"}}}`)
	f.Add(`{"seq":"","event":"UNKNOWN","keys":{}}`)
	f.Add(`{"seq":"99999999999999999999999999999999999999999","keys":{"pk":{"B":"AAE="}}}`)
	f.Fuzz(func(t *testing.T, s string) {
		var in struct {
			Seq   string                     `json:"seq"`
			Event string                     `json:"event"`
			Keys  map[string]json.RawMessage `json:"keys"`
			New   map[string]json.RawMessage `json:"new"`
			Old   map[string]json.RawMessage `json:"old"`
		}
		if json.Unmarshal([]byte(s), &in) != nil {
			return
		}
		rec := stypes.Record{EventName: stypes.OperationType(in.Event), Dynamodb: &stypes.StreamRecord{SequenceNumber: aws.String(in.Seq),
			Keys: decodeMap(in.Keys), NewImage: decodeMap(in.New), OldImage: decodeMap(in.Old)}}
		r, err := stream.ParseRecord("s0", rec)
		if err != nil {
			return
		}
		if len(r.Version) != item.SeqWidth || len(r.Keys) == 0 {
			t.Fatalf("accepted %q as %+v", s, r)
		}
		_ = item.HashData(r.Image())
		_ = item.PlainMap(r.Image())
	})
}

func decodeMap(m map[string]json.RawMessage) map[string]stypes.AttributeValue {
	if m == nil {
		return nil
	}
	out := map[string]stypes.AttributeValue{}
	for k, raw := range m {
		if v := decodeValue(raw); v != nil {
			out[k] = v
		}
	}
	return out
}

func decodeValue(raw json.RawMessage) stypes.AttributeValue {
	var v map[string]json.RawMessage
	if json.Unmarshal(raw, &v) != nil {
		return nil
	}
	for t, x := range v {
		switch t {
		case "S":
			var s string
			json.Unmarshal(x, &s)
			return &stypes.AttributeValueMemberS{Value: s}
		case "N":
			var s string
			json.Unmarshal(x, &s)
			return &stypes.AttributeValueMemberN{Value: s}
		case "B":
			var b []byte
			json.Unmarshal(x, &b)
			return &stypes.AttributeValueMemberB{Value: b}
		case "BOOL":
			var b bool
			json.Unmarshal(x, &b)
			return &stypes.AttributeValueMemberBOOL{Value: b}
		case "NULL":
			return &stypes.AttributeValueMemberNULL{Value: true}
		case "SS":
			var s []string
			json.Unmarshal(x, &s)
			return &stypes.AttributeValueMemberSS{Value: s}
		case "L":
			var l []json.RawMessage
			json.Unmarshal(x, &l)
			out := &stypes.AttributeValueMemberL{}
			for _, e := range l {
				if d := decodeValue(e); d != nil {
					out.Value = append(out.Value, d)
				}
			}
			return out
		case "M":
			var m map[string]json.RawMessage
			json.Unmarshal(x, &m)
			return &stypes.AttributeValueMemberM{Value: decodeMap(m)}
		}
	}
	return nil
}

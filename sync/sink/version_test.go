package sink

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TestVersionOrderKeys: version values, each list in increasing order, must give keys in the
// same byte order; equal values (other spellings) give equal keys; a value of the wrong type is
// an error that names the attribute and the type.
func TestVersionOrderKeys(t *testing.T) {
	for typ, ordered := range map[string][][]types.AttributeValue{
		VersionNumber: {
			{n("-1e3")}, {n("-10"), n("-10.0")}, {n("-9.5")}, {n("-9")}, {n("-0.001")}, {n("0"), n("-0"), n("0.00")},
			{n("1E-130")}, {n("0.5")}, {n("1"), n("1.0"), n("10E-1")}, {n("9")}, {n("10")}, {n("12345678901234567890123456789012345678")}, {n("1E+125")},
		},
		VersionAuto: {
			{s("2026-01-01T00:00:00Z"), s("2026-01-01T01:00:00+01:00")},
			{s("2026-01-01T00:00:00.5Z")},
		},
		VersionTimestamp: {
			{s("2026-01-01T00:00:00Z"), s("2026-01-01T01:00:00+01:00"), s("2026-01-01T00:00:00.000Z")},
			{s("2026-01-01T00:00:00.001Z")},
			{s("2026-01-01T00:00:00.5Z"), s("2026-01-01T00:00:00.500000Z")},
			{s("2026-01-01T00:00:01Z")},
		},
	} {
		var prev string
		for i, group := range ordered {
			var key string
			for j, v := range group {
				k, err := versionKey("ver", typ, v)
				if err != nil {
					t.Fatalf("%s %v: %v", typ, v, err)
				}
				if j > 0 && k != key {
					t.Errorf("%s: %v and %v are equal but have keys %q and %q", typ, group[0], v, key, k)
				}
				key = k
			}
			if i > 0 && !(prev < key) {
				t.Errorf("%s: %v (%q) does not sort after %v (%q)", typ, group[0], key, ordered[i-1][0], prev)
			}
			prev = key
		}
	}
	for _, tc := range []struct {
		typ  string
		v    types.AttributeValue
		want string
	}{
		{VersionNumber, s("3"), "is a string, want a number"},
		{VersionTimestamp, n("3"), "is a number, want an RFC 3339"},
		{VersionTimestamp, s("2026-01-01 00:00"), "not an RFC 3339 timestamp"},
		{VersionString, n("1"), "is a number, want a string"},
	} {
		if _, err := versionKey("ver", tc.typ, tc.v); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "ver") {
			t.Errorf("%s %v: err %v, want one saying %q", tc.typ, tc.v, err, tc.want)
		}
	}
}

// TestVersionOrderAutoMixedTypes: in auto mode a number against a string is an error, not a
// comparison of unlike things.
func TestVersionOrderAutoMixedTypes(t *testing.T) {
	d := &DynamoDB{twoWay: &TwoWay{VersionAttribute: "ver", TieWinner: "shop", VersionType: VersionAuto}}
	_, err := d.wins(Write{Clock: s("2"), Origin: "orders", Version: "2"}, map[string]types.AttributeValue{"ver": n("1")})
	if err == nil || !strings.Contains(err.Error(), "a string in the change and a number in the sink's item") {
		t.Fatalf("err %v, want a type mismatch", err)
	}
	if ok, err := d.wins(Write{Clock: n("10"), Origin: "orders", Version: "2"}, map[string]types.AttributeValue{"ver": n("9")}); err != nil || !ok {
		t.Fatalf("10 over 9: %v %v, want a win", ok, err)
	}
}

func n(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }
func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

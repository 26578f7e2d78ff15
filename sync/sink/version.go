package sink

import (
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/carve-dev/carve/sync/item"
)

// Version types of a two-way pair's version attribute (both_ways.version_type).
const (
	// VersionAuto (the default) takes each value as it comes: numbers by value, strings that are
	// RFC 3339 timestamps in time order, other strings byte by byte; a number on one side and a
	// string on the other is an error.
	VersionAuto      = "auto"
	VersionNumber    = "number"    // a DynamoDB number, compared by value
	VersionTimestamp = "timestamp" // an RFC 3339 string, compared in time order
	VersionString    = "string"    // any string, compared byte by byte
)

// versionKey turns a version attribute's value into a string whose byte order is the version
// order, checking it has the configured type. Timestamps are normalised to UTC with nine
// fractional digits, so that "…:00Z", "…:00.5Z" and "…T01:00:00+01:00" compare in time order
// (as written, "…:00Z" sorts after "…:00.5Z"). Numbers compare by value through a fixed-width
// encoding of their sign and digits.
func versionKey(attr, typ string, v types.AttributeValue) (string, error) {
	bad := func(want string) (string, error) {
		return "", fmt.Errorf("version attribute %s is %s, want %s (both_ways.version_type: %s): every writer on both sides must write the same type", attr, describe(v), want, typ)
	}
	switch typ {
	case VersionAuto, "":
		switch v := v.(type) {
		case *types.AttributeValueMemberN:
			k, err := versionKey(attr, VersionNumber, v)
			return "n" + k, err
		case *types.AttributeValueMemberS:
			if k, err := versionKey(attr, VersionTimestamp, v); err == nil {
				return "s" + k, nil
			}
			return "s" + v.Value, nil
		default:
			return bad("a number or a string")
		}
	case VersionTimestamp:
		s, ok := v.(*types.AttributeValueMemberS)
		if !ok {
			return bad("an RFC 3339 timestamp string")
		}
		t, err := time.Parse(time.RFC3339Nano, s.Value)
		if err != nil {
			return "", fmt.Errorf("version attribute %s = %q is not an RFC 3339 timestamp (e.g. 2026-01-02T15:04:05.123Z): %w", attr, s.Value, err)
		}
		return t.UTC().Format("2006-01-02T15:04:05.000000000Z"), nil
	case VersionString:
		s, ok := v.(*types.AttributeValueMemberS)
		if !ok {
			return bad("a string")
		}
		return s.Value, nil
	default:
		n, ok := v.(*types.AttributeValueMemberN)
		if !ok {
			return bad("a number")
		}
		if _, ok := new(big.Rat).SetString(n.Value); !ok {
			return "", fmt.Errorf("version attribute %s = %q is not a number", attr, n.Value)
		}
		return numberKey(item.NormDecimal(n.Value)), nil
	}
}

// numberKey encodes a plain decimal (NormDecimal's form) so that byte order is numeric order: a
// sign byte, then for positives the integer part's length (4 digits) and digits, then the
// fraction; negatives are the complement.
func numberKey(dec string) string {
	if dec == "0" {
		return "1"
	}
	neg := strings.HasPrefix(dec, "-")
	intPart, frac, _ := strings.Cut(strings.TrimPrefix(dec, "-"), ".")
	key := fmt.Sprintf("%04d%s.%s", len(intPart), intPart, frac)
	if intPart == "0" {
		key = fmt.Sprintf("%04d.%s", 0, frac)
	}
	if !neg {
		return "2" + key
	}
	// Negative: a larger magnitude is smaller; complement each digit and end with a byte above
	// every digit so that a longer complement (a larger magnitude) sorts first.
	b := []byte(key)
	for i, c := range b {
		if c >= '0' && c <= '9' {
			b[i] = '9' - c + '0'
		}
	}
	return "0" + string(b) + "~"
}

func describe(v types.AttributeValue) string {
	switch v.(type) {
	case *types.AttributeValueMemberS:
		return "a string"
	case *types.AttributeValueMemberN:
		return "a number"
	case nil:
		return "missing"
	default:
		return fmt.Sprintf("a %T", v)
	}
}

// wins decides whether a two-way write replaces cur, the target item as read (nil: absent), by
// the pair's conflict rule: the higher version wins; on a tie the tie winner's write wins unless
// the target holds a newer sync write from the same origin; a delete of sync's copy of the
// target's own write wins the tie from either side. A target that is still exactly what sync
// last wrote from the same origin is replaced by any later change from that origin (a higher
// sequence number): the origin's own order decides, even when its counter restarted after a
// delete and the new value is lower than the tombstone's.
func (d *DynamoDB) wins(w Write, cur item.Item) (bool, error) {
	tw := d.twoWay
	in, err := versionKey(tw.VersionAttribute, tw.VersionType, w.Clock)
	if err != nil {
		return false, err
	}
	if cur == nil || cur[tw.VersionAttribute] == nil {
		return true, nil
	}
	held, err := versionKey(tw.VersionAttribute, tw.VersionType, cur[tw.VersionAttribute])
	if err != nil {
		return false, fmt.Errorf("the sink's item: %w", err)
	}
	if a, b := describe(w.Clock), describe(cur[tw.VersionAttribute]); a != b {
		return false, fmt.Errorf("version attribute %s is %s in the change and %s in the sink's item: both sides must write the same type", tw.VersionAttribute, a, b)
	}
	clk, _ := versionKey(tw.VersionAttribute, tw.VersionType, cur[item.Clock])
	syncs := cur[item.Clock] != nil && clk == held // untouched since sync wrote it
	sameOrigin := syncs && item.Str(cur, item.Origin) == w.Origin
	if sameOrigin && item.Str(cur, item.Seq) < w.Version {
		return true, nil
	}
	switch {
	case held < in:
		return true, nil
	case held > in:
		return false, nil
	case w.Delete && w.SawTarget:
		return true, nil
	default:
		// A tie: the tie winner's write wins, except over a newer sync write from its own
		// origin (a later change from the same origin was caught above).
		return w.Origin == tw.TieWinner && !sameOrigin, nil
	}
}

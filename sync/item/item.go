// Package item holds what every part of sync says about a DynamoDB item: converting stream
// images to table attribute values, sync's own bookkeeping attributes, the zero-padded version
// string, and a canonical hash that does not depend on attribute order or number spelling.
package item

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"math/big"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	stypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// Item is a DynamoDB item.
type Item = map[string]types.AttributeValue

// Sync's bookkeeping attributes (columns in PostgreSQL). Every item sync writes carries Seq; a
// delete is a tombstone carrying Deleted; two-way pipelines add Origin, Clock and Hash.
const (
	// Seq is the version: the source record's sequence number, zero-padded to 40 digits.
	Seq = "_carve_seq"
	// Deleted marks a tombstone: the source item was deleted at version Seq.
	Deleted = "_carve_deleted"
	// Origin is the table the change came from (two-way pipelines).
	Origin = "_carve_origin"
	// Clock is the version attribute's value as sync wrote it (two-way pipelines).
	Clock = "_carve_clock"
	// Hash is the hash of the data attributes as sync wrote them (two-way pipelines): an item
	// whose content still hashes to it is sync's own write, anything else is the application's.
	Hash = "_carve_hash"
	// Prefix starts every bookkeeping attribute.
	Prefix = "_carve_"
)

// SeqWidth is the width of a version string: sequence numbers have 21 to 40 digits.
const SeqWidth = 40

// PadSeq zero-pads a sequence number to 40 digits so that string order is numeric order. It
// rejects anything that is not 1..40 decimal digits.
func PadSeq(seq string) (string, error) {
	if seq == "" || len(seq) > SeqWidth {
		return "", fmt.Errorf("sequence number %q: want 1 to %d digits", seq, SeqWidth)
	}
	for _, r := range seq {
		if r < '0' || r > '9' {
			return "", fmt.Errorf("sequence number %q: want decimal digits", seq)
		}
	}
	return strings.Repeat("0", SeqWidth-len(seq)) + seq, nil
}

// FromStream converts a stream image to table attribute values.
func FromStream(in map[string]stypes.AttributeValue) (Item, error) {
	if in == nil {
		return nil, nil
	}
	out := make(Item, len(in))
	for k, v := range in {
		c, err := fromStreamValue(v)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", k, err)
		}
		out[k] = c
	}
	return out, nil
}

func fromStreamValue(v stypes.AttributeValue) (types.AttributeValue, error) {
	switch v := v.(type) {
	case *stypes.AttributeValueMemberS:
		return &types.AttributeValueMemberS{Value: v.Value}, nil
	case *stypes.AttributeValueMemberN:
		return &types.AttributeValueMemberN{Value: v.Value}, nil
	case *stypes.AttributeValueMemberB:
		return &types.AttributeValueMemberB{Value: v.Value}, nil
	case *stypes.AttributeValueMemberBOOL:
		return &types.AttributeValueMemberBOOL{Value: v.Value}, nil
	case *stypes.AttributeValueMemberNULL:
		return &types.AttributeValueMemberNULL{Value: v.Value}, nil
	case *stypes.AttributeValueMemberSS:
		return &types.AttributeValueMemberSS{Value: v.Value}, nil
	case *stypes.AttributeValueMemberNS:
		return &types.AttributeValueMemberNS{Value: v.Value}, nil
	case *stypes.AttributeValueMemberBS:
		return &types.AttributeValueMemberBS{Value: v.Value}, nil
	case *stypes.AttributeValueMemberL:
		l := make([]types.AttributeValue, len(v.Value))
		for i, e := range v.Value {
			c, err := fromStreamValue(e)
			if err != nil {
				return nil, err
			}
			l[i] = c
		}
		return &types.AttributeValueMemberL{Value: l}, nil
	case *stypes.AttributeValueMemberM:
		m, err := FromStream(v.Value)
		if err != nil {
			return nil, err
		}
		if m == nil {
			m = Item{}
		}
		return &types.AttributeValueMemberM{Value: m}, nil
	default:
		return nil, fmt.Errorf("unsupported attribute value type %T", v)
	}
}

// Data returns it without sync's bookkeeping attributes.
func Data(it Item) Item {
	out := make(Item, len(it))
	for k, v := range it {
		if !strings.HasPrefix(k, Prefix) {
			out[k] = v
		}
	}
	return out
}

// IsTombstone reports whether it is a deleted item's tombstone.
func IsTombstone(it Item) bool {
	b, ok := it[Deleted].(*types.AttributeValueMemberBOOL)
	return ok && b.Value
}

// Str returns the string value of attribute a, or "".
func Str(it Item, a string) string {
	if s, ok := it[a].(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

// HashData hashes the data attributes of it (bookkeeping excluded) canonically: attribute order,
// set order and number spelling (1.50 vs 1.5) do not change the hash.
func HashData(it Item) string {
	h := sha256.New()
	writeMap(h, Data(it))
	return hex.EncodeToString(h.Sum(nil))[:32]
}

func writeMap(w io.Writer, m Item) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	io.WriteString(w, "{")
	for _, k := range keys {
		fmt.Fprintf(w, "%q:", k)
		writeValue(w, m[k])
		io.WriteString(w, ",")
	}
	io.WriteString(w, "}")
}

func writeValue(w io.Writer, v types.AttributeValue) {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		fmt.Fprintf(w, "S%q", v.Value)
	case *types.AttributeValueMemberN:
		fmt.Fprintf(w, "N%s", NormNumber(v.Value))
	case *types.AttributeValueMemberB:
		fmt.Fprintf(w, "B%s", base64.StdEncoding.EncodeToString(v.Value))
	case *types.AttributeValueMemberBOOL:
		fmt.Fprintf(w, "BOOL%t", v.Value)
	case *types.AttributeValueMemberNULL:
		io.WriteString(w, "NULL")
	case *types.AttributeValueMemberSS:
		s := append([]string(nil), v.Value...)
		sort.Strings(s)
		fmt.Fprintf(w, "SS%q", s)
	case *types.AttributeValueMemberNS:
		s := make([]string, len(v.Value))
		for i, n := range v.Value {
			s[i] = NormNumber(n)
		}
		sort.Strings(s)
		fmt.Fprintf(w, "NS%q", s)
	case *types.AttributeValueMemberBS:
		s := make([]string, len(v.Value))
		for i, b := range v.Value {
			s[i] = base64.StdEncoding.EncodeToString(b)
		}
		sort.Strings(s)
		fmt.Fprintf(w, "BS%q", s)
	case *types.AttributeValueMemberL:
		io.WriteString(w, "L[")
		for _, e := range v.Value {
			writeValue(w, e)
			io.WriteString(w, ",")
		}
		io.WriteString(w, "]")
	case *types.AttributeValueMemberM:
		io.WriteString(w, "M")
		writeMap(w, v.Value)
	default:
		fmt.Fprintf(w, "?%T", v)
	}
}

// NormNumber spells a DynamoDB number canonically (as DynamoDB stores it, 1.50 and 1.5 are one
// number); an unparsable number is returned as is.
func NormNumber(s string) string {
	r, ok := new(big.Rat).SetString(strings.TrimSpace(s))
	if !ok {
		return s
	}
	return r.RatString()
}

// Equal reports whether two items hold the same data attributes.
func Equal(a, b Item) bool { return HashData(a) == HashData(b) }

// KeyString renders the given key attributes of it as a stable, readable string, e.g.
// pk=ORDER#1,sk=2, for logs, dead letters and drift reports.
func KeyString(it Item, keys []string) string {
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+"="+ScalarString(it[k]))
	}
	return strings.Join(parts, ",")
}

// ScalarString renders a key-like value (S, N, B) as text.
func ScalarString(v types.AttributeValue) string {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return v.Value
	case *types.AttributeValueMemberN:
		return NormNumber(v.Value)
	case *types.AttributeValueMemberB:
		return base64.StdEncoding.EncodeToString(v.Value)
	case nil:
		return "<missing>"
	default:
		return fmt.Sprintf("%T", v)
	}
}

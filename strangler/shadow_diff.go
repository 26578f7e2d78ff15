package strangler

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// fieldDiff is one field that differs between two answers. Field names a place the same
// way for every request ("status", "header:Content-Type", "body", "$.items[*].price"), so
// counts add up across requests; Path is the exact place in this answer.
type fieldDiff struct {
	Field     string `json:"field"`
	Path      string `json:"path"`
	Primary   string `json:"primary"`
	Candidate string `json:"candidate"`
}

// maxDiffsPerAnswer bounds the differences kept of one comparison.
const maxDiffsPerAnswer = 64

// maxDiffValue bounds a value quoted in a difference.
const maxDiffValue = 200

// diffAnswers compares status, the headers named and the bodies: JSON structurally, field by
// field, anything else by hash.
func diffAnswers(a, b *answer, headers []string) []fieldDiff {
	var out []fieldDiff
	if a.Status != b.Status {
		out = append(out, fieldDiff{Field: "status", Path: "status", Primary: strconv.Itoa(a.Status), Candidate: strconv.Itoa(b.Status)})
	}
	for _, h := range headers {
		av, bv := strings.Join(a.Header.Values(h), ", "), strings.Join(b.Header.Values(h), ", ")
		if av != bv {
			f := "header:" + h
			out = append(out, fieldDiff{Field: f, Path: f, Primary: av, Candidate: bv})
		}
	}
	ab, bb := decoded(a), decoded(b)
	if bytes.Equal(ab, bb) { // the common case of a good candidate: nothing to parse
		return out
	}
	if isJSON(a.Header) && isJSON(b.Header) {
		var av, bv any
		if json.Unmarshal(ab, &av) == nil && json.Unmarshal(bb, &bv) == nil {
			return diffJSON(av, bv, "$", "$", out)
		}
	}
	ha, hb := sha256.Sum256(ab), sha256.Sum256(bb)
	return append(out, fieldDiff{Field: "body", Path: "body",
		Primary: fmt.Sprintf("sha256:%x (%d bytes)", ha[:8], len(ab)), Candidate: fmt.Sprintf("sha256:%x (%d bytes)", hb[:8], len(bb))})
}

func isJSON(h http.Header) bool {
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// decoded is an answer's body without a gzip content coding (others compare as sent).
func decoded(a *answer) []byte {
	if !strings.EqualFold(a.Header.Get("Content-Encoding"), "gzip") {
		return a.Body
	}
	zr, err := gzip.NewReader(bytes.NewReader(a.Body))
	if err != nil {
		return a.Body
	}
	b, err := io.ReadAll(io.LimitReader(zr, int64(len(a.Body))*64+1<<20))
	if err != nil {
		return a.Body
	}
	return b
}

// diffJSON appends the differences between two decoded JSON values: field is the place with
// array indexes as [*], path the exact place.
func diffJSON(a, b any, field, path string, out []fieldDiff) []fieldDiff {
	if len(out) >= maxDiffsPerAnswer {
		return out
	}
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			break
		}
		keys := slices.Sorted(maps.Keys(av))
		for k := range bv {
			if _, ok := av[k]; !ok {
				keys = append(keys, k)
			}
		}
		for _, k := range keys {
			f, p := field+"."+k, path+"."+k
			x, inA := av[k]
			y, inB := bv[k]
			if !inA || !inB {
				out = append(out, fieldDiff{Field: f, Path: p, Primary: quote(x, inA), Candidate: quote(y, inB)})
				continue
			}
			out = diffJSON(x, y, f, p, out)
		}
		return out
	case []any:
		bv, ok := b.([]any)
		if !ok {
			break
		}
		if len(av) != len(bv) {
			out = append(out, fieldDiff{Field: field + ".length", Path: path + ".length",
				Primary: strconv.Itoa(len(av)), Candidate: strconv.Itoa(len(bv))})
		}
		for i := range min(len(av), len(bv)) {
			out = diffJSON(av[i], bv[i], field+"[*]", path+"["+strconv.Itoa(i)+"]", out)
		}
		return out
	default:
		if a == b {
			return out
		}
	}
	return append(out, fieldDiff{Field: field, Path: path, Primary: quote(a, true), Candidate: quote(b, true)})
}

// quote is a JSON value as quoted in a difference, "(absent)" when missing.
func quote(v any, present bool) string {
	if !present {
		return "(absent)"
	}
	b, _ := json.Marshal(v)
	if len(b) > maxDiffValue {
		return string(b[:maxDiffValue]) + "…"
	}
	return string(b)
}

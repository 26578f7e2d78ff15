package analyze

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// ReadTruth reads a known decomposition: a JSON object mapping package import path → service
// name, e.g. {"example.com/shop/orders": "orders", "example.com/shop/orders/store": "orders"}.
func ReadTruth(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read truth file: %w", err)
	}
	t, err := ParseTruth(data)
	if err != nil {
		return nil, fmt.Errorf("truth file %s: %w", path, err)
	}
	return t, nil
}

// ParseTruth parses the truth format of ReadTruth. Errors give the line and column.
func ParseTruth(data []byte) (map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	at := func() string {
		line, col := lineCol(data, dec.InputOffset())
		return fmt.Sprintf("line %d, column %d", line, col)
	}
	bad := func(err error) error {
		off := dec.InputOffset()
		if se, ok := errors.AsType[*json.SyntaxError](err); ok {
			off = se.Offset
		}
		line, col := lineCol(data, off)
		return fmt.Errorf("not valid JSON at line %d, column %d: %w", line, col, err)
	}
	tok, err := dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty file: want a JSON object mapping import path to service name")
		}
		return nil, bad(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("want a JSON object mapping import path to service name, found %s at %s", describeToken(tok), at())
	}
	out := map[string]string{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, bad(err)
		}
		key, _ := tok.(string)
		where := at()
		val, err := dec.Token()
		if err != nil {
			return nil, bad(err)
		}
		s, ok := val.(string)
		if !ok {
			return nil, fmt.Errorf("%s: the value of %q is %s; want a service name string", where, key, describeToken(val))
		}
		if key == "" {
			return nil, fmt.Errorf("%s: empty import path; each key is a package import path", where)
		}
		if s == "" {
			return nil, fmt.Errorf("%s: package %s has an empty service name", where, key)
		}
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("%s: package %s appears twice; give it one service", where, key)
		}
		out[key] = s
	}
	if _, err := dec.Token(); err != nil {
		return nil, bad(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("unexpected data after the object at %s", at())
	}
	if len(out) == 0 {
		return nil, errors.New("the object is empty: map each package import path to its service name")
	}
	return out, nil
}

func describeToken(t json.Token) string {
	switch v := t.(type) {
	case json.Delim:
		if v == '[' {
			return "an array"
		}
		if v == '{' {
			return "an object"
		}
		return fmt.Sprintf("%q", string(v))
	case json.Number:
		return "the number " + v.String()
	case bool:
		return fmt.Sprintf("%v", v)
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("the string %q", v)
	}
	return fmt.Sprintf("%v", t)
}

// lineCol converts a byte offset into a 1-based line and column.
func lineCol(data []byte, off int64) (int, int) {
	off = min(off, int64(len(data)))
	line, col := 1, 1
	for _, b := range data[:off] {
		if b == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

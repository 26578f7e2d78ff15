package config

import (
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary documents to the parser: it never panics, and every error names
// the file.
func FuzzParse(f *testing.F) {
	f.Add([]byte(goodConfig))
	f.Add([]byte("listen: \":8080\"\nupstreams: {m: {targets: [\"http://127.0.0.1:1\"]}}\ndefault: m\n"))
	f.Add([]byte("routes: [{name: a, match: {paths: [\"/{x\"]}}]"))
	f.Add([]byte("listen: [1, 2"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.yaml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yaml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if _, err := c.Table(); err != nil {
			t.Fatalf("a valid config's route table does not compile: %v", err)
		}
	})
}

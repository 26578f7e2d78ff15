package route

import "testing"

// FuzzMatch parses a pattern and matches a path against it: parsing never panics, a parsed
// pattern always compiles, and matching never panics or disagrees with itself.
func FuzzMatch(f *testing.F) {
	f.Add("GET /api/orders/{id}", "GET", "x", "/api/orders/7")
	f.Add("/orders/", "POST", "x", "/orders/a/b/")
	f.Add("shop.example.com/{a}/{b...}", "GET", "shop.example.com:80", "/x/y/z")
	f.Add("/static/{$}", "GET", "x", "/static/")
	f.Fuzz(func(t *testing.T, pattern, method, host, path string) {
		p, err := ParsePattern(pattern)
		if err != nil {
			return
		}
		tb, err := Compile([]Spec{{Route: 0, Patterns: []string{pattern}}})
		if err != nil {
			t.Fatalf("pattern %q parsed but did not compile: %v", pattern, err)
		}
		got := tb.MatchParts(method, host, path)
		if again := tb.MatchParts(method, host, path); again != got {
			t.Fatalf("matching is not deterministic: %d then %d", got, again)
		}
		if compare(p, p) != equivalent {
			t.Fatalf("pattern %q is not equivalent to itself", pattern)
		}
	})
}

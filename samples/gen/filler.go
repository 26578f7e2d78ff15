package gen

import (
	"bytes"
	"fmt"
	"strings"
)

// fillerTemplate writes one unexported piece of package-internal code (a function or a type with
// methods) of the kind every package has: parsing, sorting, caching, small arithmetic. Filler
// brings a package to its line target without coupling it to anything.
type fillerTemplate struct {
	imports []string
	// write returns the code; name gives a fresh package-level identifier for a base name.
	write func(m *model, noun string, name func(string) string) string
}

var fillerTemplates = []fillerTemplate{
	{[]string{"fmt", "strconv", "strings"}, func(m *model, noun string, name func(string) string) string {
		f := name("parse" + noun + "List")
		return fmt.Sprintf(`// %[1]s sums the comma-separated integers in s.
func %[1]s(s string) (int, error) {
	total := 0
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		n, err := strconv.Atoi(part)
		if err != nil {
			return 0, fmt.Errorf("parse %%q: %%w", part, err)
		}
		total += n
	}
	return total, nil
}
`, f)
	}},
	{[]string{"sort"}, func(m *model, noun string, name func(string) string) string {
		t, f := name(lowerFirst(noun)+"Entry"), name("rank"+noun+"Entries")
		return fmt.Sprintf(`// %[1]s is one weighted %[3]s.
type %[1]s struct {
	key    string
	weight int
	tags   []string
}

// %[2]s returns the keys of entries, heaviest first, leaving out those with more than %[4]d tags.
func %[2]s(entries []%[1]s) []string {
	sorted := append([]%[1]s(nil), entries...)
	sort.Slice(sorted, func(i, j int) bool {
		if sorted[i].weight != sorted[j].weight {
			return sorted[i].weight > sorted[j].weight
		}
		return sorted[i].key < sorted[j].key
	})
	keys := make([]string, 0, len(sorted))
	for _, e := range sorted {
		if len(e.tags) > %[4]d {
			continue
		}
		keys = append(keys, e.key)
	}
	return keys
}
`, t, f, strings.ToLower(noun), 2+m.rng.IntN(5))
	}},
	{[]string{"strings"}, func(m *model, noun string, name func(string) string) string {
		f := name(lowerFirst(noun) + "StatusCode")
		return fmt.Sprintf(`// %[1]s maps a %[2]s status to its code.
func %[1]s(status string) int {
	switch strings.ToLower(status) {
	case "new", "draft":
		return %[3]d
	case "active":
		return %[4]d
	case "held", "blocked":
		return %[5]d
	case "done", "closed":
		return %[6]d
	default:
		return -1
	}
}
`, f, strings.ToLower(noun), m.rng.IntN(10), 10+m.rng.IntN(10), 20+m.rng.IntN(10), 30+m.rng.IntN(10))
	}},
	{[]string{"sync"}, func(m *model, noun string, name func(string) string) string {
		t := name(lowerFirst(noun) + "Cache")
		ctor := name("new" + noun + "Cache")
		return fmt.Sprintf(`// %[1]s caches computed %[3]s figures by key.
type %[1]s struct {
	mu    sync.Mutex
	items map[string]int
	hits  int
}

// %[2]s returns an empty cache.
func %[2]s() *%[1]s {
	return &%[1]s{items: map[string]int{}}
}

// get returns the figure under key, computing it with fn on a miss.
func (c *%[1]s) get(key string, fn func(string) int) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.items[key]; ok {
		c.hits++
		return v
	}
	v := fn(key)
	c.items[key] = v
	return v
}

// reset empties the cache and returns how many hits it had.
func (c *%[1]s) reset() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	hits := c.hits
	c.items = map[string]int{}
	c.hits = 0
	return hits
}
`, t, ctor, strings.ToLower(noun))
	}},
	{nil, func(m *model, noun string, name func(string) string) string {
		f := name("summarize" + noun + "Figures")
		return fmt.Sprintf(`// %[1]s returns the minimum, maximum and mean of xs.
func %[1]s(xs []int) (lo, hi, mean int) {
	if len(xs) == 0 {
		return 0, 0, 0
	}
	lo, hi = xs[0], xs[0]
	sum := 0
	for _, x := range xs {
		lo = min(lo, x)
		hi = max(hi, x)
		sum += x
	}
	return lo, hi, sum / len(xs)
}
`, f)
	}},
	{[]string{"fmt", "sort", "strings"}, func(m *model, noun string, name func(string) string) string {
		f := name("format" + noun + "Fields")
		return fmt.Sprintf(`// %[1]s renders the fields of a %[2]s as key=value pairs in key order.
func %[1]s(fields map[string]int) string {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%%s=%%d", k, fields[k])
	}
	return b.String()
}
`, f, strings.ToLower(noun))
	}},
	{nil, func(m *model, noun string, name func(string) string) string {
		f := name("window" + noun + "Sums")
		return fmt.Sprintf(`// %[1]s returns the sums of every window of %[2]d consecutive values.
func %[1]s(xs []int) []int {
	const size = %[2]d
	if len(xs) < size {
		return nil
	}
	out := make([]int, 0, len(xs)-size+1)
	sum := 0
	for i, x := range xs {
		sum += x
		if i >= size {
			sum -= xs[i-size]
		}
		if i >= size-1 {
			out = append(out, sum)
		}
	}
	return out
}
`, f, 2+m.rng.IntN(6))
	}},
	{[]string{"fmt"}, func(m *model, noun string, name func(string) string) string {
		f := name("retry" + noun)
		return fmt.Sprintf(`// %[1]s calls fn until it succeeds, at most %[2]d times, and returns the last error.
func %[1]s(fn func(attempt int) error) error {
	var err error
	for attempt := range %[2]d {
		if err = fn(attempt); err == nil {
			return nil
		}
	}
	return fmt.Errorf("%[3]s: after %[2]d attempts: %%w", err)
}
`, f, 2+m.rng.IntN(4), strings.ToLower(noun))
	}},
}

// fillerFileLines is about how long a filler file grows before the next one starts.
const fillerFileLines = 400

// writeFiller writes filler files (work.go, work2.go...) of about lines lines in all.
func (m *model) writeFiller(p *pkg, lines int) ([]file, error) {
	var files []file
	for n := 1; lines > 0; n++ {
		s := m.newSource(p, "")
		written := 0
		for written < min(lines, fillerFileLines) {
			t := pick(m.rng, fillerTemplates)
			for _, imp := range t.imports {
				s.std(imp)
			}
			code := t.write(m, pick(m.rng, nouns), p.decls.unique)
			s.pf("%s\n", code)
			written += strings.Count(code, "\n") + 1
		}
		data, err := s.format()
		if err != nil {
			return nil, err
		}
		lines -= bytes.Count(data, []byte("\n"))
		name := "work.go"
		if n > 1 {
			name = fmt.Sprintf("work%d.go", n)
		}
		files = append(files, file{path: p.dir + "/" + name, data: data})
	}
	return files, nil
}

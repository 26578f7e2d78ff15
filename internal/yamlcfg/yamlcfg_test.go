package yamlcfg

import (
	"errors"
	"strings"
	"testing"
	"time"
)

type server struct {
	Listen  string            `yaml:"listen"`
	Timeout Duration          `yaml:"timeout"`
	Workers int               `yaml:"workers"`
	Ratio   float64           `yaml:"ratio"`
	Debug   bool              `yaml:"debug"`
	Routes  []route           `yaml:"routes"`
	Labels  map[string]string `yaml:"labels"`
	Secret  string            `yaml:"-"`
}

type route struct {
	Name  string         `yaml:"name"`
	Split map[string]int `yaml:"split"`
	TLS   *struct {
		Cert string `yaml:"cert_file"`
	} `yaml:"tls"`
}

func decode(t *testing.T, data string) (*server, *Doc) {
	t.Helper()
	var s server
	return &s, Decode("f.yaml", []byte(data), &s, Options{Docs: "docs/x.md"})
}

func TestDecodeGood(t *testing.T) {
	s, doc := decode(t, "listen: \":80\"\ntimeout: 1m30s\nworkers: 3\nratio: 1\ndebug: true\nroutes:\n  - name: a\n    split: {x: 1}\n    tls: {cert_file: c.pem}\nlabels: {team: 7}\n")
	if err := doc.Err(); err != nil || doc.Failed() || doc.Empty() {
		t.Fatalf("err %v, failed %v, empty %v", err, doc.Failed(), doc.Empty())
	}
	if s.Timeout.D() != 90*time.Second || s.Workers != 3 || s.Ratio != 1 || !s.Debug || s.Routes[0].Split["x"] != 1 || s.Routes[0].TLS.Cert != "c.pem" || s.Labels["team"] != "7" {
		t.Fatalf("decoded %+v", s)
	}
	for path, want := range map[string]int{"listen": 1, "routes[0]": 7, "routes[0].split.x": 8, "routes[0].tls.cert_file": 9, "routes[0].nothing": 7, "absent": 1} {
		if got := doc.Line(path); got != want {
			t.Errorf("Line(%q) = %d, want %d", path, got, want)
		}
	}
}

func TestDecodeEmpty(t *testing.T) {
	for _, data := range []string{"", "# only a comment\n", "~\n", "---\n"} {
		s, doc := decode(t, data)
		if !doc.Empty() || doc.Failed() || doc.Err() != nil || s.Listen != "" {
			t.Errorf("%q: empty %v, failed %v, err %v", data, doc.Empty(), doc.Failed(), doc.Err())
		}
	}
}

// Each bad file is one problem, formatted file:line: path: msg.
func TestDecodeProblems(t *testing.T) {
	for _, tc := range []struct{ name, data, want string }{
		{"second document", "listen: a\n---\nlisten: b\n", "f.yaml:2: a second YAML document: the file holds one document; remove the '---' and what follows"},
		{"second empty document", "listen: a\n\n---\n", "f.yaml:3: a second YAML document"},
		{"syntax", "listen: [a\n", "f.yaml:1: not valid YAML: did not find expected ',' or ']'"},
		{"syntax in second document", "listen: a\n---\nlisten: [\n", "f.yaml:3: not valid YAML"},
		{"unknown key with suggestion", "listen: a\ntimout: 1s\n", `f.yaml:2: unknown key "timout": did you mean "timeout"? (see docs/x.md)`},
		{"unknown key listing the keys", "routes: [{name: a, weights: {x: 1}}]\n", `f.yaml:1: routes[0]: unknown key "weights": the keys here are name, split, tls (see docs/x.md)`},
		{"unknown nested key", "routes:\n  - name: a\n    tls: {cert: x}\n", `f.yaml:3: routes[0].tls: unknown key "cert": did you mean "cert_file"?`},
		{"key tagged -", "secret: x\n", `f.yaml:1: unknown key "secret"`},
		{"bad duration", "timeout: 5 seconds\n", `f.yaml:1: timeout: bad duration "5 seconds": write a non-negative duration with its unit, such as 500ms, 10s or 1m30s`},
		{"duration without unit", "timeout: 5\n", `f.yaml:1: timeout: bad duration "5"`},
		{"negative duration", "timeout: -1s\n", `f.yaml:1: timeout: bad duration "-1s"`},
		{"duration as a list", "timeout: [1s]\n", `f.yaml:1: timeout: a list where a duration such as 500ms or 10s is expected`},
		{"string for int", "workers: many\n", `f.yaml:1: workers: "many" is a string where an integer is expected`},
		{"float for int", "workers: 1.5\n", `f.yaml:1: workers: "1.5" is a number where an integer is expected`},
		{"string for bool", "debug: sure\n", `f.yaml:1: debug: "sure" is a string where true or false is expected`},
		{"list for string", "listen: [a]\n", `f.yaml:1: listen: a list where a string is expected`},
		{"scalar for list", "routes: a\n", `f.yaml:1: routes: "a" is a string where a list is expected`},
		{"scalar for struct", "routes: [a]\n", `f.yaml:1: routes[0]: "a" is a string where a mapping is expected`},
		{"map value", "routes: [{split: {x: lots}}]\n", `f.yaml:1: routes[0].split.x: "lots" is a string where an integer is expected`},
		{"duplicate key", "listen: a\nlisten: b\n", `f.yaml:2: key "listen" appears twice (first at line 1): keep one`},
		{"top level not a mapping", "hello\n", `f.yaml:1: "hello" is a string where a mapping is expected`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, doc := decode(t, tc.data)
			err := doc.Err()
			if err == nil {
				t.Fatalf("accepted; want %q", tc.want)
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error\n%s\ndoes not start with\n%s", err, tc.want)
			}
		})
	}
}

// Every problem of a file is reported at once, sorted by line, whatever the order found.
func TestProblemsSortedByLine(t *testing.T) {
	s, doc := decode(t, "workers: x\nlisten: a\nroutes:\n  - name: r\n    splitt: {}\ntimeout: soon\n")
	if doc.Failed() || s.Listen != "a" || s.Routes[0].Name != "r" {
		t.Fatalf("what fits was not decoded: failed %v, %+v", doc.Failed(), s)
	}
	doc.Add("listen", "checked later")
	err := doc.Err()
	var ps Problems
	if !errors.As(err, &ps) || len(ps) != 4 {
		t.Fatalf("want 4 problems, got %v", err)
	}
	want := []string{"f.yaml:1: workers:", "f.yaml:2: listen: checked later", "f.yaml:5: routes[0]: unknown key \"splitt\": did you mean \"split\"?", "f.yaml:6: timeout: bad duration"}
	for i, line := range strings.Split(err.Error(), "\n") {
		if !strings.HasPrefix(line, want[i]) {
			t.Errorf("line %d: %q does not start with %q", i+1, line, want[i])
		}
	}
}

func TestAddAndHas(t *testing.T) {
	_, doc := decode(t, "listen: a\nroutes:\n  - name: r\n")
	doc.Add("routes[0].split", "missing")
	doc.AddAt(0, "", "no line")
	doc.Report(nil)
	doc.Report(doc.Problem("listen", "reported"))
	doc.Report(errors.New("plain"))
	if !doc.Has("routes[0].name") || doc.Has("routes[0].split") {
		t.Error("Has")
	}
	want := "f.yaml: no line\nf.yaml: plain\nf.yaml:1: listen: reported\nf.yaml:3: routes[0].split: missing"
	if got := doc.Err().Error(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestSuggest(t *testing.T) {
	keys := []string{"listen", "timeout", "dynamodb", "file", "table"}
	for in, want := range map[string]string{"timout": "timeout", "dynamodbb": "dynamodb", "Listen": "listen", "fil": "file", "tabel": "table", "lsiten": "listen", "xyz": "", "weights": "", "": ""} {
		if got := Suggest(in, keys); got != want {
			t.Errorf("Suggest(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDurationMarshal(t *testing.T) {
	v, err := Duration{90 * time.Second}.MarshalYAML()
	if err != nil || v != "1m30s" {
		t.Fatalf("%v %v", v, err)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte("listen: a\nroutes: [{name: a, split: {x: 1}}]\n"))
	f.Add([]byte("a: &x [1, *x]\n"))
	f.Add([]byte("listen: a\n---\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var s server
		doc := Decode("f.yaml", data, &s, Options{})
		if err := doc.Err(); err != nil && !strings.HasPrefix(err.Error(), "f.yaml") {
			t.Fatalf("a problem does not name the file: %v", err)
		}
		if doc.Failed() && doc.Err() == nil {
			t.Fatal("failed without a problem")
		}
	})
}

// A value that does not fit is left out and reported once: checks of it, of what it holds and
// of what holds it are not reported on top; checks elsewhere are.
func TestRefusedValueReportedOnce(t *testing.T) {
	s, doc := decode(t, "workers: many\nroutes:\n  - name: a\n    split: {x: lots, y: 1}\n  - 7\n")
	if doc.Failed() || s.Routes[0].Split["y"] != 1 || len(s.Routes) != 2 {
		t.Fatalf("the rest was not decoded: %+v", s)
	}
	doc.Add("workers", "must be positive")            // the refused value itself
	doc.Add("routes[0].split", "weights must add up") // holds a refused value
	doc.Add("routes[1].name", "missing")              // inside a refused value
	doc.Add("routes[0].name", "taken")                // elsewhere: reported
	doc.Add("", "file-wide")                          // the whole file: reported
	want := []string{
		`f.yaml:1: workers: "many" is a string where an integer is expected`,
		`f.yaml:1: file-wide`,
		`f.yaml:3: routes[0].name: taken`,
		`f.yaml:4: routes[0].split.x: "lots" is a string where an integer is expected`,
		`f.yaml:5: routes[1]: "7" is an integer where a mapping is expected`,
	}
	if got := doc.Err().Error(); got != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", got, strings.Join(want, "\n"))
	}
}

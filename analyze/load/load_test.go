package load

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/tools/go/packages"
)

// Code for a newer Go than carve was built with (go.mod's go line made the go command run a newer
// toolchain) is refused by go/types in every package: one error says what to do, instead of a
// warning per package and a plan built on half-checked code.
func TestTooNewGo(t *testing.T) {
	pkg := func(path string, msgs ...string) *packages.Package {
		p := &packages.Package{PkgPath: path}
		for _, m := range msgs {
			p.Errors = append(p.Errors, packages.Error{Pos: path + "/a.go:1:1", Msg: m, Kind: packages.TypeError})
		}
		return p
	}
	m := &Module{Packages: []*packages.Package{
		pkg("example.com/a", "package requires newer Go version go1.27 (application built with go1.26)"),
		pkg("example.com/b", "undefined: x"),
		pkg("example.com/c", "package requires newer Go version go1.27 (application built with go1.26)"),
	}}
	err := m.tooNew("mod")
	var ie *InputError
	if !errors.As(err, &ie) {
		t.Fatalf("tooNew = %v, want an *InputError", err)
	}
	for _, want := range []string{"needs go1.27", "built with go1.26", "2 package(s)", "GOTOOLCHAIN=go1.27.0"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	m.Packages = m.Packages[1:2]
	if err := m.tooNew("mod"); err != nil {
		t.Errorf("a type error of the code itself: tooNew = %v, want nil (analysed as far as it loads)", err)
	}
}

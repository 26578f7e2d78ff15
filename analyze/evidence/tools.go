package evidence

import (
	"path"
	"strings"

	"github.com/carve-dev/carve/analyze/facts"
)

// Tooling mains, recognised by the path element they sit below or by what they import.
var (
	toolDirs = map[string]bool{
		"tools": true, "tool": true, "hack": true, "scripts": true, "script": true, "ci": true,
		"example": true, "examples": true, "_examples": true, "demo": true, "demos": true,
		"test": true, "tests": true, "testing": true, "testutil": true, "testutils": true,
		"e2e": true, "integration": true, "crossdock": true, "bench": true, "benchmark": true,
		"benchmarks": true, "gen": true, "codegen": true, "generator": true, "generators": true,
		"mock": true, "mocks": true, "fake": true, "fakes": true, "dev": true,
	}
	toolSuffixes = []string{"-gen", "gen", "-generator", "-cli", "-tool", "-tools", "-test", "-tests", "-bench", "-lint", "-linter", "-migrate", "-mock", "-example"}
	toolPrefixes = []string{"protoc-gen-", "gen-", "gen_", "generate-", "mock", "test-", "bench-", "example-"}
	// toolImports mark a code generator (it parses or prints Go) or a test harness (it drives
	// tests outside `go test`).
	toolImports = map[string]string{
		"go/ast": "code generator", "go/parser": "code generator", "go/printer": "code generator",
		"go/format": "code generator", "golang.org/x/tools/go/packages": "code generator",
		"testing": "test harness", "net/http/httptest": "test harness",
		"github.com/stretchr/testify/assert": "test harness", "github.com/stretchr/testify/require": "test harness",
	}
)

func IsToolMain(info facts.PackageInfo) bool { return ToolReason(info) != "" }

// ToolReason says why a main is a tool, or "" when it is not one.
func ToolReason(info facts.PackageInfo) string {
	for _, el := range strings.Split(info.Dir, "/") {
		if toolDirs[el] {
			return "below " + el + "/"
		}
	}
	base := path.Base(info.Dir)
	for _, suf := range toolSuffixes {
		if strings.HasSuffix(base, suf) && base != suf {
			return "named *" + suf
		}
	}
	for _, pre := range toolPrefixes {
		if strings.HasPrefix(base, pre) && base != pre {
			return "named " + pre + "*"
		}
	}
	for _, imp := range info.Imports {
		if kind, ok := toolImports[imp]; ok {
			return "a " + kind + ": imports " + imp
		}
	}
	return ""
}

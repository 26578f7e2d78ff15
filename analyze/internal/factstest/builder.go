// Package factstest builds facts.Facts by hand for the analyzer's tests: packages, dependencies per
// signal, routes and tables.
package factstest

import (
	"slices"
	"strings"

	"github.com/carve-dev/carve/analyze/facts"
)

// Builder builds Facts by hand for clustering tests.
type Builder struct {
	F    *facts.Facts
	line int
}

func New(module string) *Builder {
	return &Builder{F: &facts.Facts{Modules: []string{module}, Root: "/src"}}
}

func (b *Builder) Pkg(path string, lines int) *Builder {
	name := path[strings.LastIndex(path, "/")+1:]
	b.F.Packages = append(b.F.Packages, facts.PackageInfo{Path: path, Name: name, Dir: path, Files: 1, Lines: lines})
	return b
}

func (b *Builder) Main(path string) *Builder {
	b.F.Packages = append(b.F.Packages, facts.PackageInfo{Path: path, Name: "main", Dir: path, Main: true, Files: 1, Lines: 50})
	return b
}

func (b *Builder) Dep(from, to, signal string, count int) *Builder {
	return b.DepC(from, to, signal, count, false)
}

func (b *Builder) DepC(from, to, signal string, count int, contract bool) *Builder {
	b.line++
	if signal == facts.SignalImports {
		for i := range b.F.Packages {
			if p := &b.F.Packages[i]; p.Path == from && !slices.Contains(p.Imports, to) {
				p.Imports = append(p.Imports, to)
			}
		}
	}
	file := strings.TrimPrefix(from, b.F.Modules[0]+"/") + "/x.go"
	b.F.Deps = append(b.F.Deps, facts.Dep{From: from, To: to, Signal: signal, Count: count, Contract: contract, Sites: []facts.Site{{File: file, Line: b.line}}})
	return b
}

// Use adds imports + calls + types from one package to another.
func (b *Builder) Use(from, to string, calls int) *Builder {
	b.Dep(from, to, facts.SignalImports, 1)
	if calls > 0 {
		b.Dep(from, to, facts.SignalCalls, calls)
	}
	return b.Dep(from, to, facts.SignalTypes, 1+calls/2)
}

func (b *Builder) Route(pkg, method, pattern string) *Builder {
	b.line++
	b.F.Routes = append(b.F.Routes, facts.RouteDecl{Package: pkg, Method: method, Pattern: pattern, Handler: pkg + ".Handle", Router: "net/http", Site: facts.Site{File: "cmd/server/main.go", Line: b.line}})
	return b
}

func (b *Builder) Table(pkg, table string, acc facts.Access) *Builder {
	b.F.Tables = append(b.F.Tables, facts.TableUse{Package: pkg, Table: table, Store: "dynamodb", Access: acc})
	return b
}

// From extends facts built before; the sites it adds are numbered from line 1000, after theirs.
func From(f *facts.Facts) *Builder { return &Builder{F: f, line: 1000} }

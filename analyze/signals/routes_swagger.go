package signals

import (
	"encoding/json"
	"go/ast"
	"go/types"
	"strconv"
	"strings"

	"github.com/carve-dev/carve/analyze/facts"
)

// A go-swagger server keeps its routes in the generated API type's handler cache:
//
//	o.handlers["GET"]["/pets/{id}"] = NewGetPetByID(o.context, o.GetPetByIDHandler)
//
// under the spec's basePath (the generated SwaggerJSON), served by the operation handler the
// program assigns (api.GetPetByIDHandler = ...). The API type is recognised by its field of
// type *middleware.Context of github.com/go-openapi/runtime.

// registerSwagger records the route an assignment into a go-swagger handler cache declares.
func (w *routeWalk) registerSwagger(as *ast.AssignStmt, info *types.Info, pkg string) {
	if len(as.Lhs) != 1 || len(as.Rhs) != 1 {
		return
	}
	outer, ok := as.Lhs[0].(*ast.IndexExpr)
	if !ok {
		return
	}
	inner, ok := outer.X.(*ast.IndexExpr)
	if !ok {
		return
	}
	sel, ok := ast.Unparen(inner.X).(*ast.SelectorExpr)
	if !ok || !w.isSwaggerAPI(info, sel) {
		return
	}
	method, ok1 := w.str(info, inner.Index, nil)
	path, ok2 := w.str(info, outer.Index, nil)
	if !ok1 || !ok2 {
		w.f.Coverage.Unresolved = append(w.f.Coverage.Unresolved, facts.Unresolved{
			Kind: facts.KindRouter, Site: w.m.Site(as.Pos()), Call: types.ExprString(as.Lhs[0]),
			Why: "the method or path of a go-swagger handler is not a constant",
		})
		return
	}
	site := w.m.Site(as.Pos())
	target, hname := pkg, types.ExprString(as.Rhs[0])
	if p, n, ok := w.handlerTarget(as.Rhs[0], info, nil, 0); ok {
		target, hname = p, n
	}
	// The operation handler the program assigns to the API's field: the route is its.
	if call, ok := ast.Unparen(as.Rhs[0]).(*ast.CallExpr); ok {
		for _, a := range call.Args {
			v := varOf(info, a)
			if v == nil || !v.IsField() || len(w.assigns[v]) == 0 {
				continue
			}
			for _, as := range w.assigns[v] {
				if w.inGenerated(as.e.Pos()) {
					continue
				}
				if p, n, ok := w.handlerTarget(as.e, as.info, nil, 0); ok {
					target, hname, site = p, n, w.m.Site(as.e.Pos())
					break
				}
			}
		}
	}
	w.f.Routes = append(w.f.Routes, facts.RouteDecl{
		Package: target, Method: method, Pattern: joinPath(w.swaggerBasePath(pkg), path), Handler: hname,
		Router: "go-swagger", Site: site,
	})
	w.f.Coverage.Add("go-swagger", facts.KindRouter, 1)
}

// isSwaggerAPI reports whether sel is a field of a go-swagger API type: a struct with a field of
// type *middleware.Context of go-openapi/runtime.
func (w *routeWalk) isSwaggerAPI(info *types.Info, sel *ast.SelectorExpr) bool {
	s, ok := info.Selections[sel]
	if !ok || s.Kind() != types.FieldVal {
		return false
	}
	st, ok := derefUnder(s.Recv()).(*types.Struct)
	if !ok {
		return false
	}
	for i := 0; i < st.NumFields(); i++ {
		if n := namedOrAlias(st.Field(i).Type()); n == "Context" {
			if p, ok := st.Field(i).Type().(*types.Pointer); ok {
				if named, ok := p.Elem().(*types.Named); ok && named.Obj().Pkg() != nil && named.Obj().Pkg().Path() == swaggerPkg {
					return true
				}
			}
		}
	}
	return false
}

// swaggerBasePath returns the basePath of the spec go-swagger embeds for the API of package pkg
// (SwaggerJSON, in the closest package above pkg: restapi for restapi/operations), or "" when
// there is none.
func (w *routeWalk) swaggerBasePath(pkg string) string {
	if base, ok := w.basePaths[pkg]; ok {
		return base
	}
	base, best := "", -1
	for v, as := range w.assigns {
		if v.Name() != "SwaggerJSON" || v.Pkg() == nil || v.Parent() != v.Pkg().Scope() {
			continue
		}
		dir := v.Pkg().Path()
		if !(pkg == dir || strings.HasPrefix(pkg, dir+"/")) || len(dir) <= best {
			continue
		}
		for _, a := range as {
			if b, ok := specBasePath(a); ok {
				base, best = b, len(dir)
			}
		}
	}
	w.basePaths[pkg] = base
	return base
}

// specBasePath reads "basePath" from the JSON spec in the string literal of a SwaggerJSON value.
func specBasePath(a exprAt) (string, bool) {
	found, base := false, ""
	ast.Inspect(a.e, func(n ast.Node) bool {
		lit, ok := n.(*ast.BasicLit)
		if !ok || found {
			return !found
		}
		src, err := strconv.Unquote(lit.Value)
		if err != nil {
			return false
		}
		var spec struct {
			BasePath string `json:"basePath"`
		}
		if json.Unmarshal([]byte(src), &spec) == nil {
			found = true
			if spec.BasePath != "/" {
				base = spec.BasePath
			}
		}
		return false
	})
	return base, found
}

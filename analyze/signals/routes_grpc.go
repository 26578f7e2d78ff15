package signals

import (
	"go/ast"
	"go/token"
	"go/types"
	"strings"

	"github.com/carve-dev/carve/analyze/facts"
)

// registerGRPC records the gRPC service a generated RegisterXServer(s, impl) registers:
// s.RegisterService(&X_ServiceDesc, srv) serves /<ServiceName>/* with the implementation the
// caller passes, so the route belongs to the implementation's package and sits at the caller.
func (w *routeWalk) registerGRPC(call *ast.CallExpr, info *types.Info, pkg string, encl *types.Func, env *routeEnv) {
	if len(call.Args) != 2 {
		return
	}
	impl := call.Args[1]
	if env == nil && encl != nil && mentionsParam(impl, info, w.params, encl) {
		w.viaCallers(call, info, encl, env)
		return
	}
	name, ok := w.grpcServiceName(call.Args[0], info, env, encl)
	site := w.m.Site(call.Pos())
	if outer := env.outermost(); outer != nil {
		pkg, site = outer.caller.pkg, w.m.Site(outer.caller.call.Pos())
	}
	if !ok {
		w.f.Coverage.Unresolved = append(w.f.Coverage.Unresolved, facts.Unresolved{
			Kind: facts.KindGRPC, Site: site, Call: shortCall(call),
			Why: "the service descriptor's ServiceName is not a constant and the register function is not named RegisterXServer",
		})
		return
	}
	target, hname := w.handlerOf(impl, info, pkg, env)
	w.f.Routes = append(w.f.Routes, facts.RouteDecl{
		Package: target, Pattern: "/" + name + "/", Handler: hname, Router: "grpc", Site: site,
	})
	w.f.Coverage.Add("grpc", facts.KindGRPC, 1)
}

// grpcServiceName reads the full service name ("helloworld.v1.Greeter") from the generated
// grpc.ServiceDesc's ServiceName, or, when the descriptor is not a literal carve can see, from
// the generated package's name and the register function's: RegisterGreeterServer in package
// greeterpb serves greeterpb.Greeter.
func (w *routeWalk) grpcServiceName(desc ast.Expr, info *types.Info, env *routeEnv, encl *types.Func) (string, bool) {
	e := ast.Unparen(desc)
	if u, ok := e.(*ast.UnaryExpr); ok && u.Op == token.AND {
		e = ast.Unparen(u.X)
	}
	var lit *ast.CompositeLit
	var litInfo *types.Info
	switch x := e.(type) {
	case *ast.CompositeLit:
		lit, litInfo = x, info
	default:
		if v := varOf(info, x); v != nil && len(w.assigns[v]) == 1 {
			a := w.assigns[v][0]
			if l, ok := ast.Unparen(a.e).(*ast.CompositeLit); ok {
				lit, litInfo = l, a.info
			}
		}
	}
	if lit != nil {
		if v, ok := literalField(lit, litInfo, "ServiceName"); ok {
			if s, ok := w.str(litInfo, v, env); ok && s != "" {
				return s, true
			}
		}
	}
	if encl == nil || encl.Pkg() == nil {
		return "", false
	}
	svc, ok := strings.CutPrefix(encl.Name(), "Register")
	if svc, ok2 := strings.CutSuffix(svc, "Server"); ok && ok2 && svc != "" {
		return encl.Pkg().Name() + "." + svc, true
	}
	return "", false
}

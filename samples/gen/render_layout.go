package gen

import (
	"fmt"
	"strings"
)

// goVersion is the go directive of every generated go.mod and go.work.
const goVersion = "1.24"

// renderModules writes go.mod, or in a workspace go.work and one go.mod per module.
func (m *model) renderModules() []file {
	dirs := m.moduleDirs()
	if len(dirs) == 1 {
		return []file{{path: "go.mod", data: fmt.Appendf(nil, "module %s\n\ngo %s\n", m.opts.Module, goVersion)}}
	}
	var work strings.Builder
	fmt.Fprintf(&work, "go %s\n\nuse (\n", goVersion)
	var files []file
	for _, d := range dirs {
		mod, rel := m.opts.Module, "."
		if d != "." {
			mod, rel = m.opts.Module+"/"+d, "./"+d
		}
		fmt.Fprintf(&work, "\t%s\n", rel)
		files = append(files, file{path: strings.TrimPrefix(d+"/go.mod", "./"), data: fmt.Appendf(nil, "module %s\n\ngo %s\n", mod, goVersion)})
	}
	work.WriteString(")\n")
	return append([]file{{path: "go.work", data: []byte(work.String())}}, files...)
}

// writeMount writes the start of a main that mounts entry packages: a mux for their routes and,
// when one of them is a consumer, a topic table for their subscriptions.
func (m *model) writeMount(s *source, entries []*pkg) {
	s.pf("\tmux := http.NewServeMux()\n")
	consumers := false
	for _, e := range entries {
		consumers = consumers || e.entry == entryConsumer
	}
	if consumers {
		s.std("context")
		s.pf("\ttopics := map[string][]func(context.Context, []byte) error{}\n")
		s.pf("\tsubscribe := func(topic string, handle func(context.Context, []byte) error) {\n\t\ttopics[topic] = append(topics[topic], handle)\n\t}\n")
	}
	for _, e := range entries {
		if e.entry == entryConsumer {
			s.pf("\t%s.Subscribe(subscribe)\n", s.ref(e))
		} else {
			s.pf("\t%s.Register(mux)\n", s.ref(e))
		}
	}
	if consumers {
		s.pf("\tlog.Printf(\"%%d topics subscribed\", len(topics))\n")
	}
}

// pickToolTargets chooses what each tooling main uses: the harness mounts every entry package of
// two or three services; the others call one to three exported functions of service packages.
func (m *model) pickToolTargets() {
	var callable []*pkg
	for _, p := range m.servicePackages() {
		if len(p.decls.funcs) > 0 {
			callable = append(callable, p)
		}
	}
	for i, p := range m.tools {
		if toolSpecs[i].harness {
			for _, s := range m.rng.Perm(len(m.services))[:min(len(m.services), 2+m.rng.IntN(2))] {
				p.targets = append(p.targets, m.services[s].entries...)
			}
			continue
		}
		for _, j := range m.rng.Perm(len(callable))[:min(len(callable), 1+m.rng.IntN(3))] {
			q := callable[j]
			p.targets = append(p.targets, q)
			p.calls = append(p.calls, pick(m.rng, q.decls.funcs))
		}
		if len(m.kernel) > kernelLog {
			p.kernels = []*pkg{m.kernel[kernelLog]}
		}
	}
}

// renderTool writes a tooling main.
func (m *model) renderTool(p *pkg) ([]file, error) {
	spec := toolSpecs[indexOf(m.tools, p)]
	s := m.newSource(p, spec.doc)
	s.std("log")
	s.pf("func main() {\n")
	if spec.harness {
		s.std("net/http")
		m.writeMount(s, p.targets)
		s.pf("\tlog.Printf(\"harness ready: %%d services mounted on %%p\", %d, mux)\n}\n", len(p.targets))
		return m.renderFile(p, "main.go", s)
	}
	s.std("context")
	s.std("fmt")
	s.std("os")
	s.pf("\tctx := context.Background()\n\tid := \"fixture\"\n\tif len(os.Args) > 1 {\n\t\tid = os.Args[1]\n\t}\n")
	for _, k := range p.kernels {
		s.pf("\t%s.Info(%q, \"id\", id)\n", s.ref(k), spec.dir)
	}
	s.pf("\ttotal := 0\n")
	for i, q := range p.targets {
		n := fmt.Sprintf("n%d", i+1)
		s.pf("\t%s, err := %s.%s(ctx, id)\n\tif err != nil {\n\t\tlog.Fatal(err)\n\t}\n\ttotal += %s\n", n, s.ref(q), p.calls[i].name, n)
	}
	s.pf("\tfmt.Println(total)\n}\n")
	return m.renderFile(p, "main.go", s)
}

func indexOf[T comparable](xs []T, x T) int {
	for i, y := range xs {
		if y == x {
			return i
		}
	}
	return -1
}

// apiName is the name of a service's generated API: "Orders" for orders.
func apiName(svc *service) string { return strings.ToUpper(svc.name[:1]) + svc.name[1:] }

// renderStub writes a service's generated API stubs: request and reply messages, the server
// interface and its registration on a mux, and the client, as an RPC code generator would.
func (m *model) renderStub(p *pkg) ([]file, error) {
	svc := m.services[p.service]
	api := apiName(svc)
	s := m.newSource(p, fmt.Sprintf("Package %s holds the %s API's server and client stubs.", p.name, svc.name))
	for _, imp := range []string{"bytes", "context", "encoding/json", "fmt", "net/http"} {
		s.std(imp)
	}
	s.pf("// Request is the request message of every %s method.\ntype Request struct {\n\tID string `json:\"id\"`\n}\n\n", api)
	s.pf("// Reply is the reply message of every %s method.\ntype Reply struct {\n\tTotal int `json:\"total\"`\n}\n\n", api)
	s.pf("// %sServer is the server API of %s.\ntype %sServer interface {\n", api, svc.name, api)
	for _, r := range p.decls.rpcs {
		s.pf("\t%s(context.Context, *Request) (*Reply, error)\n", r)
	}
	s.pf("}\n\n// Register%sServer registers srv's methods on mux.\nfunc Register%sServer(mux *http.ServeMux, srv %sServer) {\n", api, api, api)
	for _, r := range p.decls.rpcs {
		s.pf("\tmux.HandleFunc(%q, serve(srv.%s))\n", "POST /"+svc.name+".v1."+api+"/"+r, r)
	}
	s.pf("}\n\n%s\n", stubSource)
	s.pf("// %sClient calls %s.\ntype %sClient struct {\n\tbase string\n\thc   *http.Client\n}\n\n", api, svc.name, api)
	s.pf("// New%sClient returns a client of the %s API at base.\nfunc New%sClient(base string) *%sClient {\n\treturn &%sClient{base: base, hc: http.DefaultClient}\n}\n\n", api, svc.name, api, api, api)
	for _, r := range p.decls.rpcs {
		s.pf("// %s calls %s.%s.\nfunc (c *%sClient) %s(ctx context.Context, req *Request) (*Reply, error) {\n\treturn call(ctx, c.hc, c.base+%q, req)\n}\n\n",
			r, api, r, api, r, "/"+svc.name+".v1."+api+"/"+r)
	}
	data, err := s.format()
	if err != nil {
		return nil, err
	}
	header := fmt.Sprintf("// Code generated by protoc-gen-carve from %s.proto. DO NOT EDIT.\n\n", svc.name)
	return []file{{path: p.dir + "/" + p.name + ".pb.go", data: append([]byte(header), data...)}}, nil
}

// stubSource is the part of every generated stub that does not depend on the API.
const stubSource = `func serve(method func(context.Context, *Request) (*Reply, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req Request
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rep, err := method(r.Context(), &req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if err := json.NewEncoder(w).Encode(rep); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	}
}

func call(ctx context.Context, hc *http.Client, url string, req *Request) (*Reply, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode request: %w", err)
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("new request: %w", err)
	}
	resp, err := hc.Do(hr)
	if err != nil {
		return nil, fmt.Errorf("call %s: %w", url, err)
	}
	defer resp.Body.Close()
	var rep Reply
	if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil {
		return nil, fmt.Errorf("decode reply: %w", err)
	}
	return &rep, nil
}
`

// writeRPCServer writes rpcServer, the server package's implementation of its generated server
// interface: each method runs the handler step of the same name.
func (m *model) writeRPCServer(s *source, p *pkg) {
	svc := m.services[p.service]
	q := s.ref(svc.stub)
	s.pf("// rpcServer serves the %s API with the handler's steps.\ntype rpcServer struct {\n\th *Handler\n}\n\n", apiName(svc))
	for _, f := range p.decls.drivers {
		s.pf("// %s implements %s.%sServer.\nfunc (s rpcServer) %s(ctx context.Context, req *%s.Request) (*%s.Reply, error) {\n", f.name, q, apiName(svc), f.name, q, q)
		s.pf("\ttotal, err := s.h.%s(ctx, req.ID)\n\tif err != nil {\n\t\treturn nil, err\n\t}\n\treturn &%s.Reply{Total: total}, nil\n}\n\n", lowerFirst(f.name), q)
	}
}

package cluster

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/carve-dev/carve/analyze/graph"
)

// genericElems are path elements that name a layer or a convention, not a domain: a service is
// never called "http" or "internal". A package path is read from its last element upwards until
// an element that says what the package is about.
var genericElems = map[string]bool{
	"internal": true, "pkg": true, "cmd": true, "app": true, "apps": true, "src": true, "lib": true,
	"http": true, "https": true, "api": true, "apis": true, "rest": true, "grpc": true, "rpc": true, "web": true,
	"handler": true, "handlers": true, "controller": true, "controllers": true, "routes": true, "router": true,
	"repo": true, "repos": true, "repository": true, "repositories": true, "store": true, "stores": true,
	"storage": true, "db": true, "dao": true, "persistence": true, "dynamo": true, "dynamodb": true, "sql": true,
	"service": true, "services": true, "svc": true, "server": true, "client": true, "clients": true,
	"domain": true, "core": true, "model": true, "models": true, "entity": true, "entities": true,
	"adapter": true, "adapters": true, "port": true, "ports": true, "infra": true, "infrastructure": true,
	"transport": true, "impl": true, "main": true, "usecase": true, "usecases": true,
	"public": true, "private": true, "common": true, "shared": true, "docs": true, "doc": true,
	"proto": true, "protos": true, "pb": true, "gen": true, "generated": true, "modules": true,
	"module": true, "components": true, "component": true, "util": true, "utils": true,
	"types": true, "config": true, "mocks": true, "mock": true, "openapi": true, "swagger": true,
}

// nameSuffixes are stripped from the end of an element: "ordershandler", "orders_repo" and
// "orders-api" all name the orders service. Longer suffixes come first.
var nameSuffixes = []string{
	"repository", "controller", "handlers", "handler", "service", "storage", "adapter", "client",
	"server", "store", "repo", "http", "grpc", "rest", "impl", "api", "svc", "dao", "db",
}

var versionElem = regexp.MustCompile(`^v[0-9]+$`)

// NameOf returns the service name a package path suggests: the nearest element, from the last
// upwards, that is not a generic layer name, with layer suffixes removed, lower-cased and
// reduced to letters, digits and '-'. It returns "" when no element qualifies.
func NameOf(path string, modules []string) string {
	if opts := nameOptions(path, modules); len(opts) > 0 {
		return opts[0]
	}
	return ""
}

// nameOptions returns every name the path suggests, nearest first: "legacy/orders" suggests
// "orders", then "legacy".
func nameOptions(path string, modules []string) []string {
	rel := path
	for _, m := range modules {
		if r, ok := strings.CutPrefix(path, m+"/"); ok {
			rel = r
			break
		}
		if path == m {
			rel = m[strings.LastIndex(m, "/")+1:]
			break
		}
	}
	var out []string
	elems := strings.Split(rel, "/")
	for i := len(elems) - 1; i >= 0; i-- {
		e := strings.ToLower(elems[i])
		if genericElems[e] || versionElem.MatchString(e) {
			continue
		}
		for _, suf := range nameSuffixes {
			if base, ok := strings.CutSuffix(e, suf); ok && len(strings.TrimRight(base, "-_.")) >= 3 {
				e = strings.TrimRight(base, "-_.")
				break
			}
		}
		e = sanitizeName(e)
		if e == "" || genericElems[e] || slices.Contains(out, e) {
			continue
		}
		out = append(out, e)
	}
	return out
}

// sanitizeName keeps lower-case letters and digits, turning any run of other characters into one
// '-'; a name never starts with a digit.
func sanitizeName(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	out := b.String()
	if out != "" && out[0] >= '0' && out[0] <= '9' {
		out = "svc-" + out
	}
	return out
}

// NameServices names each community (label ≥ 0) after its packages. Each package votes for the
// names its path suggests (the nearest in full, those further up much less), entry points (route
// handlers, and a service's entry package when entry gives one) with three times the weight of
// others and bigger packages slightly more. A name many services vote for tells them apart less
// (TF-IDF: each vote is weighted by log(1 + services / services voting for that name)), and layer
// words never win. A pinned service keeps the name carve.yaml gives it. Names are unique: a
// service whose favourite name is taken gets its next choice, then a numbered name.
func NameServices(g *graph.Graph, label []int, pins []string, modules []string, entry map[int]int) map[int]string {
	votes, size, pinned := nameVotes(g, label, pins, modules, entry)
	weighByRarity(votes)
	labels := make([]int, 0, len(size))
	for l := range size {
		labels = append(labels, l)
	}
	// Bigger services choose first; ties by label, which is canonical.
	sort.Slice(labels, func(i, j int) bool {
		if size[labels[i]] != size[labels[j]] {
			return size[labels[i]] > size[labels[j]]
		}
		return labels[i] < labels[j]
	})
	names := map[int]string{}
	taken := map[string]bool{}
	for _, l := range labels {
		if n, ok := pinned[l]; ok {
			names[l] = n
			taken[n] = true
		}
	}
	fallback := "service"
	if len(modules) > 0 {
		if n := NameOf(modules[0], modules); n != "" {
			fallback = n
		}
	}
	for _, l := range labels {
		if _, ok := names[l]; ok {
			continue
		}
		names[l] = chooseName(votes[l], taken, fallback)
		taken[names[l]] = true
	}
	return names
}

// nameVotes returns each community's votes for names (see NameServices), its size in packages,
// and the name carve.yaml pins it to, if any.
func nameVotes(g *graph.Graph, label []int, pins []string, modules []string, entry map[int]int) (votes map[int]map[string]float64, size map[int]int, pinned map[int]string) {
	votes, size, pinned = map[int]map[string]float64{}, map[int]int{}, map[int]string{}
	for p, l := range label {
		if l < 0 {
			continue
		}
		size[l]++
		if pins[p] != "" {
			pinned[l] = pins[p]
		}
		w := 1 + math.Log1p(float64(g.Info[p].Lines))/10
		if len(g.Routes[p]) > 0 {
			w += 2
		}
		if e, ok := entry[l]; ok && e == p {
			w *= 5
		}
		if votes[l] == nil {
			votes[l] = map[string]float64{}
		}
		// The nearest element votes in full, each one further up a tenth as much: a fallback
		// when the nearer name is taken.
		opts := nameOptions(g.Paths[p], modules)
		for _, n := range opts {
			votes[l][n] += w
			w /= 10
		}
		// Last resort before numbering: the name qualified by the package's own last element
		// ("payments-store" when "payments" is taken).
		if len(opts) > 0 {
			last := sanitizeName(g.Paths[p][strings.LastIndex(g.Paths[p], "/")+1:])
			if last != "" && last != opts[0] && !strings.HasPrefix(last, opts[0]) {
				votes[l][opts[0]+"-"+last] += w / 100
			}
		}
	}
	return votes, size, pinned
}

// weighByRarity applies the inverse document frequency over services: a name every service
// suggests (the workspace's first module, a shared parent directory) tells none of them apart.
func weighByRarity(votes map[int]map[string]float64) {
	df := map[string]int{}
	for _, vs := range votes {
		for n := range vs {
			df[n]++
		}
	}
	k := float64(len(votes))
	for _, vs := range votes {
		for n := range vs {
			vs[n] *= math.Log1p(k / float64(df[n]))
		}
	}
}

// chooseName returns the most voted name not taken (the fallback when nothing was voted for),
// else the favourite numbered: "orders-2".
func chooseName(votes map[string]float64, taken map[string]bool, fallback string) string {
	type choice struct {
		name  string
		votes float64
	}
	var cs []choice
	for n, v := range votes {
		cs = append(cs, choice{n, v})
	}
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].votes != cs[j].votes {
			return cs[i].votes > cs[j].votes
		}
		return cs[i].name < cs[j].name
	})
	if len(cs) == 0 {
		cs = []choice{{fallback, 0}}
	}
	for _, ch := range cs {
		if !taken[ch.name] {
			return ch.name
		}
	}
	for i := 2; ; i++ {
		if n := fmt.Sprintf("%s-%d", cs[0].name, i); !taken[n] {
			return n
		}
	}
}

package main

import (
	"encoding/json"
	"go/build"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The sample exists to show carve a realistic monolith with a known decomposition. These tests
// keep the properties the README promises from drifting as the code changes.

const module = "example.com/shop"

// packages returns every non-test package of the module, by import path.
func packages(t *testing.T) map[string]*build.Package {
	t.Helper()
	root := filepath.Join("..", "..")
	out := map[string]*build.Package{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata") {
			return filepath.SkipDir
		}
		pkg, err := build.ImportDir(path, 0)
		if err != nil {
			return nil // no Go files here
		}
		rel, _ := filepath.Rel(root, path)
		ip := module
		if rel != "." {
			ip += "/" + filepath.ToSlash(rel)
		}
		out[ip] = pkg
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// kernel reports whether a package is shared kernel or composition root, which the truth file
// leaves out on purpose.
func kernel(ip string) bool {
	return ip == module+"/models" || strings.HasPrefix(ip, module+"/platform/") ||
		ip == module+"/server" || ip == module+"/cmd/shop"
}

func TestDecompositionCoversEveryServicePackage(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "decomposition.json"))
	if err != nil {
		t.Fatal(err)
	}
	var truth map[string]string
	if err := json.Unmarshal(data, &truth); err != nil {
		t.Fatal(err)
	}
	pkgs := packages(t)
	if len(pkgs) < 20 {
		t.Errorf("only %d packages; the sample promises at least 20", len(pkgs))
	}
	for ip := range pkgs {
		_, mapped := truth[ip]
		switch {
		case kernel(ip) && mapped:
			t.Errorf("%s is kernel or composition root but decomposition.json maps it", ip)
		case !kernel(ip) && !mapped:
			t.Errorf("%s is missing from decomposition.json", ip)
		}
	}
	for ip := range truth {
		if _, ok := pkgs[ip]; !ok {
			t.Errorf("decomposition.json names %s, which does not exist", ip)
		}
	}
	services := map[string]bool{}
	for _, s := range truth {
		services[s] = true
	}
	for _, want := range []string{"catalog", "inventory", "cart", "orders", "payments", "shipping", "users", "notifications"} {
		if !services[want] {
			t.Errorf("no package in service %s", want)
		}
	}
}

func TestTanglesAreStillThere(t *testing.T) {
	pkgs := packages(t)
	imports := func(from, to string) bool {
		p, ok := pkgs[module+"/"+from]
		if !ok {
			t.Fatalf("package %s is gone", from)
		}
		return slices.Contains(p.Imports, module+"/"+to)
	}
	// The e-mail adapter implements payments.Notifier without importing payments.
	if imports("notifications/email", "payments") {
		t.Error("notifications/email imports payments: the adapter should only implement its port")
	}
	// The orders handler reaches into other domains' stores.
	for _, store := range []string{"users/store", "inventory/store", "cart"} {
		if !imports("orders/api", store) {
			t.Errorf("orders/api no longer imports %s", store)
		}
	}
	// The catalog handler reads the inventory table through its store.
	if !imports("catalog", "inventory/store") {
		t.Error("catalog no longer imports inventory/store")
	}
	// Other domains consume the orders' events (contract coupling).
	for _, consumer := range []string{"shipping", "payments", "notifications"} {
		if !imports(consumer, "orders/events") {
			t.Errorf("%s no longer imports orders/events", consumer)
		}
	}
	// The shared models package is used across domains.
	n := 0
	for ip, p := range pkgs {
		if !kernel(ip) && slices.Contains(p.Imports, module+"/models") {
			n++
		}
	}
	if n < 8 {
		t.Errorf("models is imported by only %d service packages", n)
	}
}

package tui

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/carve-dev/carve/analyze/plan"
)

func TestNavigationKeys(t *testing.T) {
	h := newHarness(t, 80, 24)
	sv := h.m.tabs[0].(*servicesView)
	steps := []struct {
		key, want string
	}{
		{"j", "orders"}, {"down", "payments"}, {"k", "orders"}, {"up", "catalog"}, {"up", "catalog"},
		{"G", "users"}, {"g", "catalog"}, {"end", "users"}, {"home", "catalog"}, {"pgdown", "users"}, {"pgup", "catalog"},
	}
	for _, s := range steps {
		h.keys(s.key)
		if got := sv.l.selectedKey(); got != s.want {
			t.Fatalf("after %s: cursor on %q, want %q", s.key, got, s.want)
		}
	}
	h.send(tea.MouseWheelMsg{Button: tea.MouseWheelDown})
	if got := sv.l.selectedKey(); got != "users" {
		t.Errorf("wheel down: cursor on %q, want users (3 rows down)", got)
	}
	h.send(tea.MouseWheelMsg{Button: tea.MouseWheelUp})
	if got := sv.l.selectedKey(); got != "catalog" {
		t.Errorf("wheel up: cursor on %q, want catalog", got)
	}
}

func TestMouseWheelScrollsLongList(t *testing.T) {
	h := newHarness(t, 80, 12) // 8 body lines: the packages list (13 rows) scrolls
	h.keys("tab")
	pv := h.m.tabs[1].(*packagesView)
	for range 4 {
		h.send(tea.MouseWheelMsg{Button: tea.MouseWheelDown})
	}
	if pv.l.cursor != 12 || pv.l.offset == 0 {
		t.Fatalf("cursor %d offset %d after 4 wheel steps, want the last row and a scrolled list", pv.l.cursor, pv.l.offset)
	}
	h.mustShow("platform/log")
	if strings.Contains(h.screen(), "cmd/shop") {
		t.Errorf("first row still on screen after scrolling:\n%s", h.screen())
	}
}

func TestTabsAndPages(t *testing.T) {
	h := newHarness(t, 80, 24)
	for i, want := range []string{"Packages", "Shared tables", "Kernel", "Services"} {
		h.keys("tab")
		if h.m.tab != (i+1)%4 || h.m.top().crumb() != want {
			t.Fatalf("tab %d: on %q", i, h.m.top().crumb())
		}
	}
	h.keys("shift+tab")
	if h.m.top().crumb() != "Kernel" {
		t.Fatalf("shift+tab: on %q, want Kernel", h.m.top().crumb())
	}
	h.keys("tab", "j", "enter") // services → orders
	sv, ok := h.m.top().(*serviceView)
	if !ok || sv.name != "orders" {
		t.Fatalf("enter on orders opened %T %v", h.m.top(), h.m.top().crumb())
	}
	h.mustShow("› orders", "4 packages", "Packages (4)", "cmd/shop", "orders/store")
	h.keys("l")
	h.mustShow("POST", "/orders/{id}", "/cart/items")
	h.keys("right")
	h.mustShow("carts", "stock", "catalog") // stock is shared with catalog
	h.keys("l")
	h.mustShow("Depends on (4)", "catalog", "11", "⇢ users", "async", "nats:order.placed") // 3 calls, 1 async edge
	h.keys("enter")                                                                        // the heaviest dependency: catalog
	if sv, ok := h.m.top().(*serviceView); !ok || sv.name != "catalog" {
		t.Fatalf("enter on a dependency opened %v", h.m.top().crumb())
	}
	h.mustShow("› orders › catalog")
	h.keys("esc", "l", "h", "left", "left", "left") // back on orders; around the sections to Packages
	if sv := h.m.top().(*serviceView); sv.sec.cur != secPackages {
		t.Fatalf("section %d, want packages", sv.sec.cur)
	}
	h.keys("j", "j", "enter") // cart, cmd/shop, orders
	pv, ok := h.m.top().(*packageView)
	if !ok || pv.path != pkgOrders {
		t.Fatalf("opened %v", h.m.top().crumb())
	}
	h.mustShow("in orders", "Depends on (5)", "orders/store", "10 types 3 · imports 1", "coupled to: orders (own) 67% · catalog 15%")
	h.keys("l")
	h.mustShow("Used by (2)", "cmd/shop", "notify")
	h.m.top().current().selectKey(pkgNotify)
	h.keys("enter")
	if pv := h.m.top().(*packageView); pv.path != pkgNotify {
		t.Fatalf("enter on a user opened %s", pv.path)
	}
	h.keys("backspace", "esc", "esc")
	if h.m.top().crumb() != "Services" || len(h.m.stack) != 0 {
		t.Fatalf("back three times: on %s with %d pages", h.m.top().crumb(), len(h.m.stack))
	}
	h.keys("esc") // nothing to go back to
	if h.m.top().crumb() != "Services" {
		t.Fatal("esc at the top left the services tab")
	}
	h.keys("enter", "tab")
	if len(h.m.stack) != 0 || h.m.top().crumb() != "Packages" {
		t.Fatal("tab did not leave the page for the next tab")
	}
}

func TestSharedTablesAndKernelTabs(t *testing.T) {
	h := newHarness(t, 80, 24)
	h.keys("tab", "tab")
	h.mustShow("stock", "dynamodb", "catalog:readwrite orders:read")
	h.keys("enter")
	if sv, ok := h.m.top().(*serviceView); !ok || sv.name != "catalog" {
		t.Fatalf("enter on a shared table opened %v", h.m.top().crumb())
	}
	h.keys("esc", "tab")
	h.mustShow("platform/httpx", "platform/log", "Used by")
	// httpx is used by catalog and orders: 2 packages.
	if got := h.m.tabs[3].(*packagesView).l.rows[0].cells[2]; got != "2" {
		t.Errorf("httpx used by %s packages, want 2", got)
	}
	h.keys("enter")
	h.mustShow("kernel: a shared library, used by 2 package(s) in 2 service(s)")
}

func TestMoveWithPicker(t *testing.T) {
	h := newHarness(t, 80, 24)
	h.keys("tab") // packages
	h.m.tabs[1].(*packagesView).l.selectKey(pkgCart)
	h.keys("m")
	if h.m.modal == nil {
		t.Fatal("m opened no picker")
	}
	h.mustShow("Move cart (now in orders) to:", "catalog", "+ new service…")
	if strings.Contains(h.screen(), "▸ orders") {
		t.Error("the picker offers the package's own service")
	}
	h.keys("enter") // catalog, the first
	if got := serviceOf(h.m.Session().Plan(), pkgCart); got != "catalog" {
		t.Fatalf("cart in %s, want catalog", got)
	}
	if h.m.modal != nil || !strings.HasPrefix(h.status(), "moved cart to catalog · Q ") {
		t.Fatalf("status %q", h.status())
	}
	h.mustShow("● edited", "▲") // a delta is shown
	// The packages tab shows the new service at once.
	if row := h.m.tabs[1].(*packagesView).l.rows[6]; row.key != pkgCart || row.cells[1] != "catalog" {
		t.Errorf("packages row = %+v", row)
	}
	// The services list shows per-service deltas.
	for _, r := range h.m.tabs[0].(*servicesView).l.rows {
		if r.key == "catalog" && (r.cells[5] == "" || r.cells[7] == "") {
			t.Errorf("catalog row has no deltas: %v", r.cells)
		}
	}

	// m, then "+ new service…", then a name.
	h.keys("m", "G", "enter")
	if h.m.prompt == nil || h.m.prompt.Value() != "cart" {
		t.Fatalf("new service prompt = %v", h.m.prompt)
	}
	h.keys("backspace", "backspace", "backspace", "backspace").typ("basket").keys("enter")
	if got := serviceOf(h.m.Session().Plan(), pkgCart); got != "basket" {
		t.Fatalf("cart in %s, want basket (status %q)", got, h.status())
	}

	// Picker cancelled with esc, prompt cancelled with esc: nothing changes.
	h.keys("m", "esc")
	h.keys("n", "esc")
	if h.m.modal != nil || h.m.prompt != nil || serviceOf(h.m.Session().Plan(), pkgCart) != "basket" || h.status() != "cancelled" {
		t.Fatalf("cancel left modal=%v prompt=%v cart in %s", h.m.modal, h.m.prompt, serviceOf(h.m.Session().Plan(), pkgCart))
	}
	// The picker filters too.
	h.keys("m", "/").typ("pay").keys("enter", "enter")
	if got := serviceOf(h.m.Session().Plan(), pkgCart); got != "payments" {
		t.Fatalf("filtered pick put cart in %s", got)
	}
}

func TestMoveToNewServiceAndBadName(t *testing.T) {
	h := newHarness(t, 80, 24)
	h.keys("tab")
	h.m.tabs[1].(*packagesView).l.selectKey(pkgNotify)
	h.keys("n")
	h.mustShow("New service for notify: notify")
	h.keys("enter")
	if p := h.m.Session().Plan(); p.Service("notify") == nil || serviceOf(p, pkgNotify) != "notify" {
		t.Fatalf("services %v", p.ServiceNames())
	}
	h.m.tabs[1].(*packagesView).l.selectKey(pkgStripe)
	h.keys("n").keys("backspace", "backspace", "backspace", "backspace", "backspace", "backspace").typ("Bad Name").keys("enter")
	if !h.m.statusErr || !strings.Contains(h.status(), "lower-case") {
		t.Fatalf("bad name: status %q (error %v)", h.status(), h.m.statusErr)
	}
	h.mustShow("service name \"Bad Name\"")
	// The prompt stays open with the text: fix it and press enter again.
	if h.m.prompt == nil || h.m.prompt.Value() != "Bad Name" {
		t.Fatalf("after a bad name the prompt is %v", h.m.prompt)
	}
	h.keys("backspace", "backspace", "backspace", "backspace", "backspace", "backspace", "backspace", "backspace").typ("stripe").keys("enter")
	if h.m.prompt != nil || serviceOf(h.m.Session().Plan(), pkgStripe) != "stripe" {
		t.Fatalf("corrected name: prompt %v, stripe in %q", h.m.prompt, serviceOf(h.m.Session().Plan(), pkgStripe))
	}
}

func TestKernelKey(t *testing.T) {
	h := newHarness(t, 80, 24)
	h.keys("tab")
	h.m.tabs[1].(*packagesView).l.selectKey(pkgNotify)
	h.keys("K")
	if !contains(h.m.Session().Plan().Kernel, pkgNotify) {
		t.Fatalf("kernel = %v", h.m.Session().Plan().Kernel)
	}
	// notify owns a table: a library should not, and the TUI says so.
	if !h.m.statusErr || !strings.Contains(h.status(), "owns 1 table") {
		t.Errorf("K on a package owning a table: status %q (warning %v)", h.status(), h.m.statusErr)
	}
	h.keys("tab", "tab") // kernel tab lists it
	h.mustShow("notify")
	// K on a kernel package asks where to move it.
	h.m.tabs[3].(*packagesView).l.selectKey(pkgNotify)
	h.keys("K")
	h.mustShow("Move notify (now in kernel) to:")
	h.keys("/").typ("users").keys("enter", "enter")
	if got := serviceOf(h.m.Session().Plan(), pkgNotify); got != "users" {
		t.Fatalf("notify in %s, want users", got)
	}
}

// K on a package serving no routes and owning no tables marks it without a warning.
func TestKernelKeyPlainLibrary(t *testing.T) {
	h := newHarness(t, 80, 24)
	h.keys("tab")
	h.m.tabs[1].(*packagesView).l.selectKey(pkgStripe)
	h.keys("K")
	if !contains(h.m.Session().Plan().Kernel, pkgStripe) || h.m.statusErr {
		t.Fatalf("kernel = %v, status %q (warning %v)", h.m.Session().Plan().Kernel, h.status(), h.m.statusErr)
	}
}

func TestMergeRenameSplitFromServicePage(t *testing.T) {
	h := newHarness(t, 80, 24)
	h.keys("j", "enter") // orders page
	// Split: mark cart and orders/store, x, name.
	sv := h.m.top().(*serviceView)
	sv.sec.lists[secPackages].selectKey(pkgCart)
	h.keys("space")
	if got := sv.sec.lists[secPackages].markedKeys(); len(got) != 1 || got[0] != pkgCart {
		t.Fatalf("marked %v", got)
	}
	h.mustShow("1 package(s) marked")
	h.keys("x")
	h.mustShow("New service for the 1 marked package(s): orders-2")
	h.keys("backspace", "backspace", "backspace", "backspace", "backspace", "backspace", "backspace", "backspace").typ("basket").keys("enter")
	if got := serviceOf(h.m.Session().Plan(), pkgCart); got != "basket" {
		t.Fatalf("split: cart in %s (status %q)", got, h.status())
	}
	if len(sv.sec.lists[secPackages].markedKeys()) != 0 {
		t.Error("marks survive the split")
	}
	h.keys("x")
	if !h.m.statusErr || !strings.Contains(h.status(), "mark the packages") {
		t.Fatalf("x with no marks: status %q", h.status())
	}
	// Rename from the page: the page follows.
	h.keys("R").keys("backspace", "backspace", "backspace", "backspace", "backspace", "backspace").typ("ordering").keys("enter")
	if sv.name != "ordering" || h.m.Session().Plan().Service("ordering") == nil {
		t.Fatalf("rename: page on %s, services %v", sv.name, h.m.Session().Plan().ServiceNames())
	}
	h.mustShow("› ordering")
	// Merge from the page into basket: the page follows the packages.
	h.keys("M")
	h.mustShow("Merge ordering into:")
	h.keys("enter") // basket is first
	if sv.name != "basket" || h.m.Session().Plan().Service("ordering") != nil {
		t.Fatalf("merge: page on %s, services %v", sv.name, h.m.Session().Plan().ServiceNames())
	}
	h.mustShow("› basket", "merged ordering into basket")
	// Undo the merge: basket loses the packages again, the page stays on basket.
	h.keys("u")
	h.mustShow("undid: merge ordering into basket")
	if h.m.Session().Plan().Service("ordering") == nil {
		t.Fatal("undo did not bring ordering back")
	}
	// Undo the rename: ordering is gone again, but the page is on basket, which stays.
	h.keys("u", "u") // rename, split
	if h.m.Session().Plan().Service("basket") != nil {
		t.Fatal("undoing the split left basket")
	}
	if len(h.m.stack) != 0 {
		t.Fatalf("the page of a service that is gone stays open: %v", h.m.top().crumb())
	}
	h.keys("ctrl+r", "U")
	if p := h.m.Session().Plan(); p.Service("ordering") == nil || p.Service("basket") == nil {
		t.Fatalf("redo twice: services %v", p.ServiceNames())
	}
	h.keys("u", "u", "u")
	h.keys("u")
	if !h.m.statusErr || !strings.Contains(h.status(), "nothing to undo") {
		t.Fatalf("undo past the start: %q", h.status())
	}
}

func TestMergeAndRenameFromServicesList(t *testing.T) {
	h := newHarness(t, 80, 24)
	h.keys("j", "j", "M") // payments
	h.mustShow("Merge payments into:")
	h.keys("j", "enter") // orders (catalog, orders, users)
	p := h.m.Session().Plan()
	if p.Service("payments") != nil || serviceOf(p, pkgStripe) != "orders" {
		t.Fatalf("services %v", p.ServiceNames())
	}
	h.keys("g", "R").keys("backspace", "backspace", "backspace", "backspace", "backspace", "backspace", "backspace").typ("products").keys("enter")
	if h.m.Session().Plan().Service("products") == nil {
		t.Fatalf("rename: services %v (status %q)", h.m.Session().Plan().ServiceNames(), h.status())
	}
	h.keys("R").keys("backspace", "backspace", "backspace", "backspace", "backspace", "backspace", "backspace", "backspace").typ("users").keys("enter")
	if !h.m.statusErr || !strings.Contains(h.status(), "already exists") {
		t.Fatalf("rename onto users: %q", h.status())
	}
}

func TestSortKeys(t *testing.T) {
	h := newHarness(t, 80, 24)
	sv := h.m.tabs[0].(*servicesView)
	order := func() string {
		var names []string
		for _, i := range sv.l.view {
			names = append(names, sv.l.rows[i].key)
		}
		return strings.Join(names, " ")
	}
	h.keys("s") // by name
	if got := order(); got != "catalog orders payments users" {
		t.Errorf("by name: %s", got)
	}
	h.keys("S")
	if got := order(); got != "users payments orders catalog" {
		t.Errorf("by name, reversed: %s", got)
	}
	h.keys("s") // by packages, most first; ties keep their order
	if got := order(); !strings.HasPrefix(got, "orders catalog") {
		t.Errorf("by packages: %s", got)
	}
	h.mustShow("Pkgs↓")
	h.keys("s", "s", "s") // by cohesion, highest first
	if got := order(); got != "catalog payments orders users" {
		t.Errorf("by cohesion: %s", got)
	}
	h.keys("S")
	if got := order(); got != "users orders payments catalog" {
		t.Errorf("by cohesion, reversed: %s", got)
	}
	h.mustShow("Cohesion↑")
	// The lists of a page sort too: the orders package's dependencies by calls, then fewest first.
	h.m.handle(openPackage{pkgOrders})
	h.keys("s", "s", "s", "s")
	if l := h.m.top().current(); l.rows[l.view[0]].key != "example.com/shop/orders/store" {
		t.Errorf("by calls: first %s", l.rows[l.view[0]].key)
	}
	h.mustShow("Calls↓")
	h.keys("S")
	if l := h.m.top().current(); l.rows[l.view[0]].key != pkgPayments {
		t.Errorf("by calls, fewest first: first %s", l.rows[l.view[0]].key)
	}
	h.keys("esc")
	// Packages sort too.
	h.keys("tab", "s", "s", "s") // by lines, most first
	pv := h.m.tabs[1].(*packagesView)
	if pv.l.selectedKey() != "example.com/shop/cmd/shop" || pv.l.rows[pv.l.view[0]].key != pkgOrders {
		t.Errorf("packages by lines: first %s", pv.l.rows[pv.l.view[0]].key)
	}
}

func TestFilterInEveryList(t *testing.T) {
	count := func(h *harness) int { return len(h.m.top().current().view) }
	cases := []struct {
		name  string
		setup []string
		query string
		want  int
	}{
		{"services", nil, "pay", 1},
		{"packages", []string{"tab"}, "store", 2},
		{"shared tables", []string{"tab", "tab"}, "nothing", 0},
		{"kernel", []string{"tab", "tab", "tab"}, "log", 1},
		{"service packages", []string{"j", "enter"}, "o", 3}, // cmd/shop, orders, orders/store
		{"service routes", []string{"j", "enter", "l"}, "post", 2},
		{"service tables", []string{"j", "enter", "l", "l"}, "st", 1},
		{"service depends on", []string{"j", "enter", "l", "l", "l"}, "pay", 1},
		{"service used by", []string{"j", "enter", "l", "l", "l", "l"}, "users", 1},
		{"package depends on", []string{"j", "enter", "j", "j", "enter"}, "store", 1},
		{"package used by", []string{"j", "enter", "j", "j", "enter", "l"}, "notify", 1},
		{"picker", []string{"m"}, "cat", 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, 80, 24)
			h.keys(c.setup...)
			h.keys("/").typ(c.query)
			if !h.m.top().typing() {
				t.Fatal("/ did not start a filter")
			}
			// While typing, global keys are text: q does not quit, u does not undo.
			if got := count(h); got != c.want {
				t.Fatalf("%q matches %d rows, want %d", c.query, got, c.want)
			}
			h.keys("enter")
			if h.m.top().typing() {
				t.Fatal("enter did not end typing")
			}
			h.mustShow("/" + c.query)
			h.keys("esc")
			if h.m.top().current().filtered() {
				t.Fatal("esc did not clear the filter")
			}
		})
	}
	// q typed into a filter is text.
	h := newHarness(t, 80, 24)
	h.keys("/").typ("q")
	if h.quit || h.m.tabs[0].(*servicesView).l.filter.Value() != "q" {
		t.Fatalf("q in a filter: quit=%v", h.quit)
	}
	h.keys("esc")
	if h.m.tabs[0].(*servicesView).l.filtered() || h.m.top().typing() {
		t.Fatal("esc while typing did not cancel the filter")
	}
	// A filter that matches nothing says so.
	h.keys("/").typ("zzz")
	h.keys("enter")
	h.mustShow("nothing matches the filter", "(0 of 4")
}

func TestUndoRedoKeys(t *testing.T) {
	h := newHarness(t, 80, 24)
	before := h.m.Session().Summary().Metrics
	h.keys("tab")
	h.m.tabs[1].(*packagesView).l.selectKey(pkgCart)
	h.keys("K")
	after := h.m.Session().Summary().Metrics
	h.keys("u")
	if got := h.m.Session().Summary().Metrics; got != before {
		t.Fatalf("u: metrics %+v, want %+v", got, before)
	}
	h.mustShow("undid: mark example.com/shop/cart as kernel")
	h.keys("ctrl+r")
	if got := h.m.Session().Summary().Metrics; got != after {
		t.Fatalf("ctrl+r: metrics %+v, want %+v", got, after)
	}
	h.keys("U")
	if !h.m.statusErr {
		t.Fatalf("redo with nothing to redo: %q", h.status())
	}
}

func TestSaveKey(t *testing.T) {
	h := newHarness(t, 80, 24)
	h.keys("tab")
	h.m.tabs[1].(*packagesView).l.selectKey(pkgCart)
	h.keys("m", "enter") // catalog
	h.keys("w")
	// The whole message fits on the 80-cell status line: file names, not paths.
	if h.m.statusErr || !strings.Contains(h.status(), "saved "+filepath.Base(h.planPath)) || !strings.Contains(h.status(), "1 pin(s)") {
		t.Fatalf("status %q", h.status())
	}
	if !strings.Contains(h.screen(), "carve.yaml: 1 pin(s), 0 kernel") {
		t.Fatalf("status %q", h.status())
	}
	p, err := plan.ReadFile(h.planPath)
	if err != nil {
		t.Fatal(err)
	}
	if serviceOf(p, pkgCart) != "catalog" {
		t.Errorf("saved plan has cart in %s", serviceOf(p, pkgCart))
	}
	data, err := os.ReadFile(h.cfgPath)
	if err != nil || !strings.Contains(string(data), "catalog:\n    - example.com/shop/cart") {
		t.Errorf("carve.yaml = %q, %v", data, err)
	}
	if h.m.Session().Dirty() || strings.Contains(h.screen(), "● edited") {
		t.Error("still marked edited after saving")
	}
	// ctrl+s saves too; a failing save says why.
	h.m.opts.PlanPath = "/nonexistent/dir/plan.json"
	h.keys("ctrl+s")
	if !h.m.statusErr || !strings.Contains(h.status(), "save plan") {
		t.Fatalf("failing save: %q", h.status())
	}
}

func TestQuitKeys(t *testing.T) {
	h := newHarness(t, 80, 24)
	h.keys("q")
	if !h.quit {
		t.Fatal("q did not quit an unedited session")
	}
	h = newHarness(t, 80, 24)
	h.keys("tab", "K")
	h.keys("q")
	if h.quit || !strings.Contains(h.status(), "unsaved edits") {
		t.Fatalf("q with unsaved edits: quit=%v status %q", h.quit, h.status())
	}
	h.keys("j", "q") // another key disarms
	if h.quit {
		t.Fatal("q after another key quit without a second warning")
	}
	h.keys("q")
	if !h.quit {
		t.Fatal("second q did not quit")
	}
	h = newHarness(t, 80, 24)
	h.keys("tab", "K", "ctrl+c")
	if !h.quit {
		t.Fatal("ctrl+c did not quit")
	}
	h = newHarness(t, 80, 24)
	h.keys("m", "q") // q in the picker quits too
	if !h.quit {
		t.Fatal("q in the picker did not quit")
	}
}

func TestHelpKeys(t *testing.T) {
	h := newHarness(t, 80, 24)
	h.mustShow("enter open", "? help", "q quit")
	h.keys("?")
	if !h.m.fullHelp {
		t.Fatal("? did not open the help")
	}
	h.mustShow("Keys", "merge into…", "next tab", "redo")
	h.keys("j") // other keys are ignored while help shows
	if h.m.tabs[0].(*servicesView).l.cursor != 0 || !h.m.fullHelp {
		t.Fatal("a key went through the help")
	}
	h.keys("?")
	if h.m.fullHelp {
		t.Fatal("? did not close the help")
	}
	h.keys("enter", "?")
	h.mustShow("mark for split", "split marked off", "next section")
	h.keys("esc")
	if h.m.fullHelp || len(h.m.stack) != 1 {
		t.Fatal("esc did not close only the help")
	}
}

func TestResize(t *testing.T) {
	h := newHarness(t, 80, 24)
	for _, size := range [][2]int{{80, 24}, {120, 40}, {60, 15}, {200, 50}, {40, 10}} {
		h.send(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		for _, keys := range [][]string{nil, {"enter"}, {"enter", "enter"}, {"esc", "esc", "?"}, {"?"}} {
			h.keys(keys...)
			out := h.m.render()
			lines := strings.Split(out, "\n")
			if len(lines) != size[1] {
				t.Fatalf("%dx%d: %d lines", size[0], size[1], len(lines))
			}
			for i, l := range lines {
				if w := lipgloss.Width(l); w > size[0] {
					t.Fatalf("%dx%d: line %d is %d wide: %q", size[0], size[1], i, w, ansi.Strip(l))
				}
			}
		}
	}
	h.send(tea.WindowSizeMsg{Width: 30, Height: 8})
	h.mustShow("needs at least 40×10")
}

func TestColorsFollowTheTerminal(t *testing.T) {
	t.Setenv("NO_COLOR", "") // the styles, not the environment, decide here
	m, err := New(Options{Plan: readFixture(t), Color: true, PlanPath: t.TempDir() + "/p.json"})
	if err != nil {
		t.Fatal(err)
	}
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	dark := m.render()
	if !strings.Contains(dark, "\x1b[") {
		t.Fatal("no colour with Color set")
	}
	m.Update(tea.BackgroundColorMsg{Color: lipgloss.Color("#ffffff")})
	if m.dark {
		t.Fatal("a white background was taken for dark")
	}
	if light := m.render(); light == dark {
		t.Error("the light palette looks the same as the dark one")
	}
	plain, err := New(Options{Plan: readFixture(t), PlanPath: t.TempDir() + "/p.json"})
	if err != nil {
		t.Fatal(err)
	}
	plain.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	for _, seq := range []string{"\x1b[3", "\x1b[9", "38;", "48;"} { // no foreground or background colour
		if strings.Contains(plain.render(), seq) {
			t.Fatalf("colour %q without Color (NO_COLOR)", seq)
		}
	}
	if !strings.Contains(plain.render(), "▸") {
		t.Error("no cursor marker without colour")
	}
	v := plain.View()
	if !v.AltScreen || v.MouseMode != tea.MouseModeCellMotion {
		t.Errorf("view: alt screen %v, mouse %v", v.AltScreen, v.MouseMode)
	}
}

func TestLoadingShowsProgressAndNeverBlocks(t *testing.T) {
	release := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m, err := New(Options{Source: "samples/shop", PlanPath: "plan.json", Context: ctx, Load: func(ctx context.Context, progress func(Progress)) (*plan.Plan, error) {
		progress(Progress{Stage: "loading packages", Done: 3, Total: 13})
		select {
		case <-release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		progress(Progress{Stage: "signal: calls"})
		return readFixture(t), nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	if m.Session() != nil {
		t.Fatal("ready before loading")
	}
	// Run the load command as bubbletea would: off the Update goroutine.
	batch := m.startLoad()().(tea.BatchMsg)
	done := make(chan tea.Msg, 1)
	go func() { done <- batch[0]() }()
	// The loader is blocked, yet progress reaches the model.
	msg := batch[1]()
	_, next := m.Update(msg)
	if s := ansi.Strip(m.render()); !strings.Contains(s, "loading samples/shop · loading packages 3/13") {
		t.Fatalf("loading screen:\n%s", s)
	}
	m.Update(keyMsg("j")) // keys do not block or crash while loading
	close(release)
	if msg := next(); msg != nil {
		m.Update(msg)
	}
	m.Update(<-done)
	if m.Session() == nil || m.Err() != nil {
		t.Fatalf("not ready after loading: %v", m.Err())
	}
	if s := ansi.Strip(m.render()); !strings.Contains(s, "catalog") {
		t.Fatalf("services not shown after loading:\n%s", s)
	}
}

func TestLoadingFailsAndQuits(t *testing.T) {
	boom := errors.New("no go.mod in /tmp/x")
	m, err := New(Options{Load: func(context.Context, func(Progress)) (*plan.Plan, error) { return nil, boom }})
	if err != nil {
		t.Fatal(err)
	}
	_, cmd := m.Update(m.startLoad()().(tea.BatchMsg)[0]())
	if !isQuit(cmd) || !errors.Is(m.Err(), boom) {
		t.Fatalf("quit=%v err=%v", isQuit(cmd), m.Err())
	}
	// q quits while loading, and cancels the load.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m, _ = New(Options{Context: ctx, Load: func(ctx context.Context, _ func(Progress)) (*plan.Plan, error) { <-ctx.Done(); return nil, ctx.Err() }})
	_, cmd = m.Update(keyMsg("q"))
	if !isQuit(cmd) || m.ctx.Err() == nil {
		t.Fatal("q while loading did not quit and cancel")
	}
	if _, err := New(Options{}); err == nil {
		t.Fatal("New without a plan or a loader succeeded")
	}
}

// A package the analysis placed by structure says why on its page, until it is moved.
func TestPackagePageSaysWhy(t *testing.T) {
	p := readFixture(t)
	for i := range p.Packages {
		if p.Packages[i].Path == pkgStripe {
			p.Packages[i].Why = "below payments/, the directory of example.com/shop/payments's code"
		}
	}
	m, err := New(Options{Plan: p, PlanPath: filepath.Join(t.TempDir(), "plan.json")})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, m: m}
	h.send(tea.WindowSizeMsg{Width: 120, Height: 30})
	h.keys("tab")
	h.m.tabs[1].(*packagesView).l.selectKey(pkgStripe)
	h.keys("enter")
	h.mustShow("placed by structure: below payments/")
	if err := h.m.Session().Move(pkgStripe, "users"); err != nil {
		t.Fatal(err)
	}
	if got := h.m.c.placement(pkgStripe); len(got) > 0 && strings.Contains(got[0], "placed by structure") {
		t.Errorf("after a move the page still says %q", got[0])
	}
}

// The number keys go to the tab of that number, as the tab bar shows, and leave any open page.
func TestNumberKeysSwitchTabs(t *testing.T) {
	h := newHarness(t, 80, 24)
	for _, c := range []struct {
		key, want string
	}{{"3", "Shared tables"}, {"1", "Services"}, {"4", "Kernel"}, {"2", "Packages"}} {
		h.keys(c.key)
		if got := h.m.top().crumb(); got != c.want {
			t.Errorf("key %s: on %q, want %q", c.key, got, c.want)
		}
	}
	h.keys("1", "j", "enter") // a service page
	h.keys("2")
	if got := h.m.top().crumb(); got != "Packages" {
		t.Errorf("key 2 on a service page: on %q, want Packages", got)
	}
	// While filtering, digits are text.
	h.keys("/").typ("2")
	if got := h.m.top().crumb(); got != "Packages" {
		t.Errorf("typing 2 in a filter switched to %q", got)
	}
}

// The move picker shows what each target would do to the scores and selects the best.
func TestMovePickerSuggestsTheBestMove(t *testing.T) {
	h := newHarness(t, 100, 24)
	h.keys("2")
	h.m.tabs[1].(*packagesView).l.selectKey(pkgCart)
	h.keys("m")
	h.mustShow("ΔQ", "★ best")
	out, err := h.m.Session().TryMoves(pkgCart, []string{"catalog", "payments", "users"})
	if err != nil {
		t.Fatal(err)
	}
	best := out[0]
	for _, o := range out {
		if o.Modularity > best.Modularity {
			best = o
		}
	}
	if got := h.m.modal.l.selectedKey(); got != best.Service {
		t.Errorf("picker selects %q, the best move is %q", got, best.Service)
	}
}

// A service page offers the package edits only in its Packages section.
func TestServicePageHintsFollowTheSection(t *testing.T) {
	h := newHarness(t, 140, 24)
	h.keys("1", "j", "enter") // a service page, Packages section
	h.mustShow("m move")
	h.keys("l") // Routes
	if strings.Contains(h.screen(), "m move") {
		t.Errorf("the Routes section offers m move:\n%s", h.screen())
	}
}

// Enter on an async edge opens the service at its other end.
func TestOpenAsyncEdge(t *testing.T) {
	h := newHarness(t, 80, 24)
	h.keys("j", "enter", "l", "l", "l", "G", "enter") // orders, Depends on, the last row: ⇢ users
	if sv, ok := h.m.top().(*serviceView); !ok || sv.name != "users" {
		t.Fatalf("enter on the async edge opened %v", h.m.top().crumb())
	}
}

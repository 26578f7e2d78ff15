package gen

// Word lists the generator draws names from. Every list is used through an rng, so a seed picks
// the same words every time. Lists hold no word that is a standard-library package name the
// generated code imports (context, fmt, http, sql, ...), so a package name never shadows one.

// serviceWords name services in meaningful mode and in truth.json.
var serviceWords = []string{
	"orders", "billing", "catalog", "inventory", "shipping", "accounts", "payments",
	"notifications", "reviews", "search", "pricing", "returns", "loyalty", "ledger",
	"support", "analytics", "media", "promotions", "fulfilment", "warehouse", "tax",
	"subscriptions", "invoicing", "carts", "recommendations", "messaging", "scheduling",
	"reporting", "compliance", "partners", "marketplace", "identity", "referrals", "quotes",
	"contracts", "claims", "payroll", "procurement", "rentals", "tickets",
}

// roleWords name a service's packages in meaningful mode ("orders/store"). The entry package is
// always "api".
var roleWords = []string{
	"core", "store", "model", "events", "client", "rules", "jobs", "reports", "index",
	"cache", "notify", "policy", "audit", "export", "workflow", "quota", "views", "adapters",
	"domain", "ingest", "planner", "limits", "registry", "mailer", "ranking",
}

// kernelWords name kernel packages in meaningful mode, under platform/. The first three have a
// fixed API: a database helper, a logger and configuration lookups.
var kernelWords = []string{
	"dbx", "logx", "config", "textutil", "mathutil", "idgen", "retry", "timeutil",
	"strutil", "metrics", "tracing", "validate",
}

// nouns are the domain nouns of types, functions, tables and routes.
var nouns = []string{
	"Order", "Invoice", "Item", "Entry", "Parcel", "Ticket", "Account", "Coupon", "Quote",
	"Batch", "Shipment", "Refund", "Review", "Profile", "Session", "Rate", "Slot", "Route",
	"Policy", "Claim", "Asset", "Lease", "Bundle", "Voucher", "Receipt", "Report", "Channel",
	"Schedule", "Budget", "Contract", "Vendor", "Label", "Note", "Rule", "Price", "Stock",
	"Carrier", "Credit", "Charge", "Payout", "Notice", "Reminder", "Segment", "Tier", "Plan",
	"Member", "Address", "Basket", "Discount", "Fee", "Window", "Quota", "Token", "Device",
	"Region", "Store", "Shelf", "Pallet", "Dock", "Manifest",
}

// funcVerbs start exported functions that other packages call.
var funcVerbs = []string{
	"Price", "Check", "Compute", "Validate", "Apply", "Build", "Score", "Count", "Merge",
	"Rank", "Plan", "Settle", "Reserve", "Release", "Audit", "Track", "Estimate", "Approve",
	"Expire", "Allocate",
}

// driverVerbs start the functions (and HTTP handlers) that hold a package's outgoing calls.
var driverVerbs = []string{
	"Handle", "Process", "Run", "Serve", "Execute", "Refresh", "Reconcile", "Dispatch",
	"Prepare", "Finalize",
}

// methodVerbs name the methods of exported types; they take no arguments.
var methodVerbs = []string{"Total", "Weight", "Size", "Cost", "Age", "Level", "Balance", "Span"}

// ifaceVerbs start interface methods. No other function or method uses them, and interface
// method names are unique in the module, so a type implements only the interface it was written
// for.
var ifaceVerbs = []string{"Fetch", "Provide", "Supply", "Lookup", "Obtain"}

// varForms are the exported package-level variables other packages read: %s is a noun.
var varForms = []struct {
	name  string // format of the name
	slice bool   // a []string read with len(), else an int
}{
	{"Default%sLimit", false},
	{"Max%sRetries", false},
	{"%sBatchSize", false},
	{"%sKinds", true},
	{"Known%sStates", true},
}

package facts

// Coverage says what the analyzer recognised and what it could not resolve (issue 13): the
// frameworks and libraries it saw in use, and the call sites that look like routing, data access
// or messaging whose route, table or topic it could not tell, so a user knows what the plan does
// not know.
type Coverage struct {
	Frameworks []Framework  `json:"frameworks"`
	Unresolved []Unresolved `json:"unresolved"`
}

// Framework is a recognised framework or library and how many call sites use it.
type Framework struct {
	Name string `json:"name"` // e.g. "chi", "gorm", "nats"
	Kind string `json:"kind"` // "router", "grpc", "data" or "messaging"
	Uses int    `json:"uses"`
}

// Unresolved is a call site of a recognised library whose route, table or topic could not be
// resolved to a constant.
type Unresolved struct {
	Kind string `json:"kind"` // as Framework.Kind
	Site string `json:"site"` // file:line
	Call string `json:"call"` // the callee, e.g. "sqlx.DB.GetContext"
	Why  string `json:"why"`
}

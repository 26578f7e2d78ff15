// Package messy has type errors everywhere the signals look: undefined handlers, queries,
// types and calls. Loading and every signal must survive it.
package messy

import (
	"database/sql"
	"net/http"

	"example.com/broken/good"
)

// Bad has an invalid underlying type: it must not "implement" every interface.
type Bad undefinedType

// Greet is one of good.Greeter's two methods.
func (Bad) Greet() string { return "" }

// Port has a method with an invalid parameter type.
type Port interface{ Do(x missing.T) error }

// Impl has an invalid field.
type Impl struct{ f undefinedField }

// Do does.
func (Impl) Do(x int) error { return nil }

// V is initialised by an undefined function.
var V = undefinedFunc()

// Register registers routes with undefined parts.
func Register(mux *http.ServeMux, db *sql.DB) {
	mux.HandleFunc("GET /messy", undefinedHandler)
	mux.HandleFunc(undefinedPattern, good.Hello)
	http.Handle("/bad", Bad{})
	_, _ = db.Query(undefinedQuery)
	_, _ = db.Query("SELECT * FROM " + undefinedTable)
	var p Port = Impl{}
	_ = p.Do(1)
	good.Counter += len(undefinedSlice)
	x := undefinedCall().Field.Method()
	_ = x
	_ = good.Greeter(nil)
}

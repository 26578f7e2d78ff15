package billing

import "gorm.io/gorm"

// Invoice is stored in a table of its own name.
type Invoice struct {
	ID     uint
	Amount int
}

// TableName overrides gorm's naming convention.
func (Invoice) TableName() string { return "billing_invoices" }

// Issue writes an invoice.
func Issue(db *gorm.DB, inv *Invoice) error { return db.Save(inv).Error }

// Raise updates prices in the catalog's table by name.
func Raise(db *gorm.DB) error {
	return db.Table("products").Where("price < ?", 100).Update("price", gorm.Expr("price + 1")).Error
}

// Total reads invoices through a model.
func Total(db *gorm.DB) (int64, error) {
	var n int64
	err := db.Model(&Invoice{}).Count(&n).Error
	return n, err
}

// Overdue reads overdue invoices with raw SQL.
func Overdue(db *gorm.DB) ([]Invoice, error) {
	var out []Invoice
	err := db.Raw("SELECT * FROM billing_invoices i JOIN payments p ON p.invoice_id = i.id WHERE p.id IS NULL").Scan(&out).Error
	return out, err
}

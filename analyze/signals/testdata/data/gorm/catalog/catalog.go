package catalog

import "gorm.io/gorm"

// Product is a row of products (gorm's naming convention).
type Product struct {
	ID    uint
	Name  string
	Price int
}

// ProductCategory is a row of product_categories.
type ProductCategory struct {
	ProductID, CategoryID uint
}

// Add creates a product.
func Add(db *gorm.DB, p *Product) error { return db.Create(p).Error }

// List reads every product.
func List(db *gorm.DB) ([]Product, error) {
	var ps []Product
	err := db.Where("price > ?", 0).Find(&ps).Error
	return ps, err
}

// Categorise links a product to a category.
func Categorise(db *gorm.DB, pid, cid uint) error {
	return db.Create(&ProductCategory{ProductID: pid, CategoryID: cid}).Error
}

// Links counts the product's category links: Count takes its model from the Find before it.
func Links(db *gorm.DB) (int64, error) {
	var n int64
	err := db.Find(new(ProductCategory)).Count(&n).Error
	return n, err
}

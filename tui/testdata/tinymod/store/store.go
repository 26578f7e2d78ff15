// Package store keeps items in memory.
package store

// Item is a stored item.
type Item struct{ ID, Name string }

var items = map[string]Item{}

// Put stores an item.
func Put(it Item) { items[it.ID] = it }

// Get returns an item.
func Get(id string) (Item, bool) { it, ok := items[id]; return it, ok }

// Package bitset is a fixed-size set of small non-negative integers (package indexes).
package bitset

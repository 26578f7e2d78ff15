package bitset

import "math/bits"

// Set is a fixed-size set of package indexes.
type Set []uint64

func New(n int) Set { return make(Set, (n+63)/64) }

func (b Set) Add(i int) { b[i/64] |= 1 << (i % 64) }

func (b Set) Has(i int) bool { return b[i/64]&(1<<(i%64)) != 0 }

func (b Set) Or(o Set) {
	for i := range b {
		b[i] |= o[i]
	}
}

func (b Set) Count() (n int) {
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return n
}

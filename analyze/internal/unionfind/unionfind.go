// Package unionfind groups the indexes 0..n-1 into disjoint sets.
package unionfind

// Sets is a union-find forest over the indexes 0..n-1.
type Sets []int

// New returns n singleton sets.
func New(n int) Sets {
	u := make(Sets, n)
	for i := range u {
		u[i] = i
	}
	return u
}

// Find returns the representative of i's set.
func (u Sets) Find(i int) int {
	for u[i] != i {
		u[i] = u[u[i]]
		i = u[i]
	}
	return i
}

// Union joins the sets of i and j.
func (u Sets) Union(i, j int) { u[u.Find(i)] = u.Find(j) }

// Groups returns the sets as lists of indexes, each in increasing order and the sets in order
// of their smallest index. Indexes for which skip returns true are left out (skip may be nil).
func (u Sets) Groups(skip func(i int) bool) [][]int {
	at := map[int]int{}
	var out [][]int
	for i := range u {
		if skip != nil && skip(i) {
			continue
		}
		r := u.Find(i)
		k, ok := at[r]
		if !ok {
			k = len(out)
			at[r] = k
			out = append(out, nil)
		}
		out[k] = append(out[k], i)
	}
	return out
}

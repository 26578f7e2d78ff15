package unionfind

import (
	"reflect"
	"testing"
)

func TestGroups(t *testing.T) {
	u := New(7)
	u.Union(5, 1)
	u.Union(3, 5)
	u.Union(6, 4)
	if u.Find(1) != u.Find(3) || u.Find(1) == u.Find(4) {
		t.Fatalf("find: 1→%d 3→%d 4→%d", u.Find(1), u.Find(3), u.Find(4))
	}
	got := u.Groups(func(i int) bool { return i == 2 })
	want := [][]int{{0}, {1, 3, 5}, {4, 6}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("groups %v, want %v", got, want)
	}
}

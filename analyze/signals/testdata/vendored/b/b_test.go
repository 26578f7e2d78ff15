package b_test

import (
	"testing"

	"example.com/vendored/a"
	"example.com/vendored/b"
)

func TestTwo(t *testing.T) {
	if b.Two()+a.Run() == 0 {
		t.Fatal("zero")
	}
}

package a

import "github.com/nonexistent-org/nolib"

var X = nolib.Y

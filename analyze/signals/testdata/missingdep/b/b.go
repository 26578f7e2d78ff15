package b

import "example.com/missingdep"

var Z = a.X

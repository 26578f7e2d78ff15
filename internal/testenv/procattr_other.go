//go:build !linux

package testenv

import "syscall"

// dieWithParent is a no-op where the parent-death signal does not exist; t.Cleanup still stops
// the child on a normal test end.
func dieWithParent(attr *syscall.SysProcAttr, sig syscall.Signal) {}

package testenv

import "syscall"

// dieWithParent makes the child receive sig when the test binary dies, so that a crashed or
// killed test run does not leave servers behind.
func dieWithParent(attr *syscall.SysProcAttr, sig syscall.Signal) {
	attr.Pdeathsig = sig
}

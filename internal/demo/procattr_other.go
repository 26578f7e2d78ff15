//go:build !linux

package demo

import "syscall"

// childAttr puts a child in its own process group, so the demo stops it and its children
// together.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// Package aws is a stub of the shape of aws-sdk-go-v2's aws package, for carve's tests.
package aws

// String returns a pointer to v.
func String(v string) *string { return &v }

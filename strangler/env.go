package strangler

import "os"

func envLookup(name string) string { return os.Getenv(name) }

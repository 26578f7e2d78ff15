package job

import (
	"fmt"
	"math/rand/v2"
	"os"
)

// ownerID is the name this worker takes in leases: worker.id when the config sets one, else
// hostname-pid-random. Containers often share a hostname pattern and run as pid 1: the random
// suffix (as the Kinesis Client Library adds) keeps two workers from taking each other for
// themselves. It is chosen here, where the job starts, so that loading a config reads nothing
// of the environment.
func ownerID(configured string) string {
	if configured != "" {
		return configured
	}
	host, err := os.Hostname()
	if err != nil {
		host = "unknown-host"
	}
	return fmt.Sprintf("%s-%d-%08x", host, os.Getpid(), rand.Uint32())
}

module example.com/missingdep

go 1.22

require github.com/nonexistent-org/nolib v1.2.3

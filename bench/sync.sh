#!/usr/bin/env bash
# make bench-sync: carve sync against DynamoDB Local — raw GetRecords and BatchWriteItem ceilings,
# carve sync end to end over the same records, the SNS sink against a bare publishing loop on goaws,
# and replication lag at half the slower ceiling.
# Needs `make build deps` first (bin/carve, Java, DynamoDB Local and goaws under .cache/).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x bin/carve ] || { echo "bench-sync: bin/carve missing: run make build" >&2; exit 1; }
go run ./bench/sync -bin bin/carve "$@"

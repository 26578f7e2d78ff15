#!/usr/bin/env bash
# bench/proxy.sh — `make bench-proxy`: carve's strangler proxy against nginx and Caddy.
#
# A Go backend answers 1 KiB; wrk (-t2 -c64 -d10s --latency) loads it directly and through
# carve, nginx and Caddy (all configured equivalently: keep-alive to the upstream, no access
# log), rotated in rounds. Per target it prints the median req/s, p50, p99 and the proxy
# process's CPU time per request (utime+stime from /proc, children included), then the
# ratios carve/nginx and carve/Caddy, then an open-loop check at ~25% of carve's saturation
# that reports the p99 latency carve adds over going direct.
#
# Then the TLS listeners: carve's (fasthttp for HTTP/1.1, net/http for HTTP/2, by ALPN) against nginx with TLS, over
# HTTP/1.1 (wrk) and HTTP/2 (h2load -m1, one stream per connection at a time), same backend,
# and the ratio of CPU per request.
#
# Then a Lambda function as the upstream (bench/proxy/lambda): the test function under the
# Lambda Runtime Interface Emulator, one request at a time (the emulator runs one invoke at a
# time), through carve and invoked directly with the SDK, beside the same HTTP backend through
# carve and direct: the latency carve adds to each, carve's CPU per request (Lambda/HTTP), and
# the emulator's own CPU per invoke, measured apart.
#
# Then shadow traffic: two more carve instances with the same route at monolith=100, one of them
# copying a tenth of it to a candidate upstream (shadow: {sample: 0.1}, the candidate being the
# same backend), loaded in rotated rounds, at saturation (wrk) and then open-loop at a quarter of
# it; the ratio of their CPU per primary request is the cost of shadowing and diffing (aim
# <= 1.05).
#
# Environment: ROUNDS (3), DURATION (10s), LAMBDA_DURATION (5s), BASE_PORT (28080), CARVE (bin/carve), BASELINE (a
# second carve binary, e.g. built from main: loaded in the same rounds, to measure a change).
# Everything runs on 127.0.0.1 in the foreground from a scratch directory and is stopped by
# the PIDs this script started.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
BASE=${BASE_PORT:-28080}
CARVE=${CARVE:-$ROOT/bin/carve}
BE=$BASE; NGINX=$((BASE + 1)); CADDY=$((BASE + 2)); CARVE_PORT=$((BASE + 4)); CARVE_ADMIN=$((BASE + 5))
NGINX_TLS=$((BASE + 6)); CARVE_TLS=$((BASE + 7)); CARVE_TLS_ADMIN=$((BASE + 8))
BASELINE=${BASELINE:-}; BASE_PORT2=$((BASE + 9)); BASE_ADMIN=$((BASE + 10))
NOSHADOW=$((BASE + 11)); NOSHADOW_ADMIN=$((BASE + 12)); SHADOW=$((BASE + 13)); SHADOW_ADMIN=$((BASE + 14))

need=()
command -v wrk >/dev/null || need+=(wrk)
command -v nginx >/dev/null || need+=(nginx-light)
command -v caddy >/dev/null || need+=(caddy)
command -v h2load >/dev/null || need+=(nghttp2-client)
if ((${#need[@]})); then
	echo "installing ${need[*]} from Debian" >&2
	apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
fi
[[ -x $CARVE ]] || { echo "bench/proxy.sh: $CARVE missing: run make build first" >&2; exit 1; }

D=$(mktemp -d /tmp/carve-bench-proxy.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$D"
}
trap cleanup EXIT

(cd "$ROOT" && go build -o "$D/backend" ./bench/proxy/backend && go build -o "$D/openloop" ./bench/proxy/openloop &&
	go build -o "$D/lambda" ./bench/proxy/lambda)

# --- configs -------------------------------------------------------------------------------
mkdir -p "$D/nginx" "$D/caddy"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$D/key.pem" -out "$D/cert.pem" 2>/dev/null
LOCATION='location / {
      proxy_pass http://be;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }'
cat >"$D/nginx/nginx.conf" <<NGINX
worker_processes auto;
pid $D/nginx/nginx.pid;
error_log $D/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000;
  client_body_temp_path $D/nginx/body;
  proxy_temp_path $D/nginx/proxy;
  fastcgi_temp_path $D/nginx/fastcgi;
  uwsgi_temp_path $D/nginx/uwsgi;
  scgi_temp_path $D/nginx/scgi;
  upstream be { server 127.0.0.1:$BE; keepalive 256; keepalive_requests 100000; }
  server {
    listen 127.0.0.1:$NGINX_TLS ssl http2;
    ssl_certificate $D/cert.pem;
    ssl_certificate_key $D/key.pem;
    $LOCATION
  }
  server {
    listen 127.0.0.1:$NGINX;
    $LOCATION
  }
}
NGINX
cat >"$D/caddy/Caddyfile" <<CADDY
{
	admin off
	auto_https off
}
http://127.0.0.1:$CADDY {
	reverse_proxy 127.0.0.1:$BE {
		transport http {
			keepalive 90s
			keepalive_idle_conns 1024
			keepalive_idle_conns_per_host 1024
		}
	}
}
CADDY
cat >"$D/carve.yaml" <<CARVE
listen: "127.0.0.1:$CARVE_PORT"
admin: {listen: "127.0.0.1:$CARVE_ADMIN"}
access_log: {sample: 0}
upstreams:
  monolith: {targets: ["http://127.0.0.1:$BE"]}
  orders: {targets: ["http://127.0.0.1:$BE"]}
routes:
  - name: orders
    match: {paths: ["/orders/", "GET /api/orders/{id}"]}
    split: {orders: 50, monolith: 50}
    sticky: {header: X-User-ID}
default: monolith
CARVE

sed -e "s/127.0.0.1:$CARVE_PORT/127.0.0.1:$CARVE_TLS/" -e "s/127.0.0.1:$CARVE_ADMIN/127.0.0.1:$CARVE_TLS_ADMIN/" "$D/carve.yaml" >"$D/carve-tls.yaml"
printf 'tls: {cert_file: "%s", key_file: "%s"}\n' "$D/cert.pem" "$D/key.pem" >>"$D/carve-tls.yaml"

shadow_config() { # shadow_config PORT ADMIN SHADOW_LINE
	cat <<SHADOWCFG
listen: "127.0.0.1:$1"
admin: {listen: "127.0.0.1:$2"}
access_log: {sample: 0}
upstreams:
  monolith: {targets: ["http://127.0.0.1:$BE"]}
  orders: {targets: ["http://127.0.0.1:$BE"]}
routes:
  - name: orders
    match: {paths: ["/orders/", "GET /api/orders/{id}"]}
    split: {orders: 0, monolith: 100}
$3
default: monolith
SHADOWCFG
}
shadow_config "$NOSHADOW" "$NOSHADOW_ADMIN" "" >"$D/noshadow.yaml"
shadow_config "$SHADOW" "$SHADOW_ADMIN" "    shadow: {upstream: orders, sample: 0.1}" >"$D/shadow.yaml"

# --- start everything ------------------------------------------------------------------------
"$D/backend" -addr "127.0.0.1:$BE" 2>"$D/backend.log" & PIDS+=($!); BE_PID=$!
nginx -p "$D/nginx" -c "$D/nginx/nginx.conf" -g 'daemon off;' 2>"$D/nginx/stderr.log" & PIDS+=($!); NGINX_PID=$!
XDG_DATA_HOME=$D/caddy XDG_CONFIG_HOME=$D/caddy caddy run --config "$D/caddy/Caddyfile" --adapter caddyfile >"$D/caddy/log" 2>&1 & PIDS+=($!); CADDY_PID=$!
"$CARVE" proxy run --config "$D/carve.yaml" --watch=false 2>"$D/carve.log" & PIDS+=($!); CARVE_PID=$!
"$CARVE" proxy run --config "$D/carve-tls.yaml" --watch=false 2>"$D/carve-tls.log" & PIDS+=($!); CARVE_TLS_PID=$!
"$CARVE" proxy run --config "$D/noshadow.yaml" --watch=false 2>"$D/noshadow.log" & PIDS+=($!); NOSHADOW_PID=$!
"$CARVE" proxy run --config "$D/shadow.yaml" --watch=false 2>"$D/shadow.log" & PIDS+=($!); SHADOW_PID=$!
TARGETS=(direct carve nginx caddy)
if [[ -n $BASELINE ]]; then
	sed -e "s/127.0.0.1:$CARVE_PORT/127.0.0.1:$BASE_PORT2/" -e "s/127.0.0.1:$CARVE_ADMIN/127.0.0.1:$BASE_ADMIN/" "$D/carve.yaml" >"$D/baseline.yaml"
	"$BASELINE" proxy run --config "$D/baseline.yaml" --watch=false 2>"$D/baseline.log" & PIDS+=($!); BASELINE_PID=$!
	TARGETS+=(baseline)
fi

wait_port() {
	for _ in $(seq 1 100); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
		sleep 0.1
	done
	echo "bench/proxy.sh: nothing listens on 127.0.0.1:$1 ($2); see $D" >&2
	cat "$D"/*.log "$D"/*/stderr.log "$D/caddy/log" >&2 2>/dev/null || true
	exit 1
}
wait_port "$BE" backend; wait_port "$NGINX" nginx; wait_port "$CADDY" caddy; wait_port "$CARVE_PORT" carve
wait_port "$NGINX_TLS" nginx-tls; wait_port "$CARVE_TLS" carve-tls
wait_port "$NOSHADOW" carve-noshadow; wait_port "$SHADOW" carve-shadow
[[ -z $BASELINE ]] || wait_port "$BASE_PORT2" baseline

declare -A URL=([direct]="http://127.0.0.1:$BE/api/orders/7" [carve]="http://127.0.0.1:$CARVE_PORT/api/orders/7"
	[nginx]="http://127.0.0.1:$NGINX/api/orders/7" [caddy]="http://127.0.0.1:$CADDY/api/orders/7")
declare -A PID=([direct]=$BE_PID [carve]=$CARVE_PID [nginx]=$NGINX_PID [caddy]=$CADDY_PID)
if [[ -n $BASELINE ]]; then URL[baseline]="http://127.0.0.1:$BASE_PORT2/api/orders/7"; PID[baseline]=$BASELINE_PID; fi
TICK=$(getconf CLK_TCK)

# cpu_ticks PID: utime+stime of PID and its direct children (nginx workers).
cpu_ticks() {
	local total=0 f pid=$1
	for f in /proc/[0-9]*/stat; do
		local s
		s=$(cat "$f" 2>/dev/null) || continue
		s=${s##*) }          # fields from 3 on (the command name may hold spaces)
		read -r -a a <<<"$s"
		# a[0]=state(3) a[1]=ppid(4) ... a[11]=utime(14) a[12]=stime(15)
		local me=${f#/proc/}; me=${me%/stat}
		if [[ $me == "$pid" || ${a[1]} == "$pid" ]]; then total=$((total + a[11] + a[12])); fi
	done
	echo $total
}

# to_us VALUE: wrk's "812.00us", "1.07ms", "1.20s" to microseconds.
to_us() { awk -v v="$1" 'BEGIN{ if (v ~ /us$/) {sub(/us$/,"",v); print v+0} else if (v ~ /ms$/) {sub(/ms$/,"",v); print v*1000} else if (v ~ /s$/) {sub(/s$/,"",v); print v*1000000} else print v }'; }

echo "warming up" >&2
for t in "${TARGETS[@]}"; do wrk -t2 -c64 -d3s -H 'X-User-ID: u1' "${URL[$t]}" >/dev/null; done

RAW=$D/raw.tsv
: >"$RAW"
order=("${TARGETS[@]}")
for ((r = 1; r <= ROUNDS; r++)); do
	for t in "${order[@]}"; do
		c0=$(cpu_ticks "${PID[$t]}")
		out=$(wrk -t2 -c64 -d"$DURATION" --latency -H 'X-User-ID: u1' "${URL[$t]}")
		c1=$(cpu_ticks "${PID[$t]}")
		rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
		reqs=$(awk '/requests in/ {print $1}' <<<"$out")
		p50=$(to_us "$(awk '$1=="50%" {print $2}' <<<"$out")")
		p99=$(to_us "$(awk '$1=="99%" {print $2}' <<<"$out")")
		errs=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out" | tr '\n' ' ')
		cpu_us=$(awk -v d=$((c1 - c0)) -v t="$TICK" -v n="$reqs" 'BEGIN{printf "%.1f", d/t*1e6/n}')
		printf '%s\t%d\t%s\t%s\t%s\t%s\t%s\n' "$t" "$r" "$rps" "$p50" "$p99" "$cpu_us" "$errs" >>"$RAW"
		printf 'round %d %-6s %10.0f req/s  p50 %7.0fus  p99 %8.0fus  cpu %6.1fus/req %s\n' "$r" "$t" "$rps" "$p50" "$p99" "$cpu_us" "$errs" >&2
	done
	order=("${order[@]:1}" "${order[0]}") # rotate
done

median() { sort -g | awk '{a[NR]=$1} END{ if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2 }'; }
col() { awk -F'\t' -v t="$1" -v c="$2" '$1==t {print $c}' "$RAW" | median; }

echo
echo "## carve proxy vs nginx and Caddy — wrk -t2 -c64 -d$DURATION --latency, 1 KiB body, $ROUNDS rotated rounds, medians"
echo
echo "| target | req/s | p50 µs | p99 µs | proxy CPU µs/request |"
echo "| --- | ---: | ---: | ---: | ---: |"
declare -A RPS CPU
for t in "${TARGETS[@]}"; do
	RPS[$t]=$(col "$t" 3); CPU[$t]=$(col "$t" 6)
	label=$t; [[ $t == direct ]] && label="direct (backend CPU)"
	printf '| %s | %.0f | %.0f | %.0f | %.1f |\n' "$label" "${RPS[$t]}" "$(col "$t" 4)" "$(col "$t" 5)" "${CPU[$t]}"
done
echo
awk -v a="${CPU[carve]}" -v n="${CPU[nginx]}" -v c="${CPU[caddy]}" -v ra="${RPS[carve]}" -v rn="${RPS[nginx]}" -v rc="${RPS[caddy]}" 'BEGIN{
	printf "CPU per request: carve/nginx %.2fx, carve/Caddy %.2fx (aim: carve/nginx <= 2, carve/Caddy < 1)\n", a/n, a/c
	printf "throughput:      carve/nginx %.2fx, carve/Caddy %.2fx\n", ra/rn, ra/rc }'
if [[ -n $BASELINE ]]; then
	awk -v a="${CPU[carve]}" -v b="${CPU[baseline]}" -v n="${CPU[nginx]}" 'BEGIN{ printf "CPU per request: carve/baseline %.2fx (baseline/nginx %.2fx)\n", a/b, b/n }'
fi

RATE=$(awk -v r="${RPS[carve]}" 'BEGIN{printf "%d", r/4}')
OPEN=$D/open.tsv
: >"$OPEN"
order=(direct carve nginx caddy)
for ((r = 1; r <= ROUNDS; r++)); do
	for t in "${order[@]}"; do
		line=$("$D/openloop" -url "${URL[$t]}" -rate "$RATE" -d 8s -c 64)
		get() { sed -n "s/.*$1=\([0-9]*\).*/\1/p" <<<"$line"; }
		printf '%s\t%d\t%s\t%s\t%s\t%s\n' "$t" "$r" "$(get p50_us)" "$(get p90_us)" "$(get p99_us)" "$(get errors)" >>"$OPEN"
		printf 'open loop round %d %-6s %s\n' "$r" "$t" "$line" >&2
	done
	order=("${order[@]:1}" "${order[0]}")
done
ocol() { awk -F'\t' -v t="$1" -v c="$2" '$1==t {print $c}' "$OPEN" | median; }
obest() { awk -F'\t' -v t="$1" -v c="$2" '$1==t {print $c}' "$OPEN" | sort -g | head -1; }
echo
echo "## open loop at $RATE req/s (~25% of carve's saturation), 8 s × $ROUNDS rotated rounds, 64 connections"
echo
echo "| target | p50 µs median | p90 µs median | p99 µs median | p99 µs best round | errors |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
declare -A OP99 OP50 OB99
for t in direct carve nginx caddy; do
	OP50[$t]=$(ocol "$t" 3); OP99[$t]=$(ocol "$t" 5); OB99[$t]=$(obest "$t" 5)
	errs=$(awk -F'\t' -v t="$t" '$1==t {s+=$6} END{print s+0}' "$OPEN")
	printf '| %s | %.0f | %.0f | %.0f | %.0f | %s |\n' "$t" "${OP50[$t]}" "$(ocol "$t" 4)" "${OP99[$t]}" "${OB99[$t]}" "$errs"
done
echo
awk -v c99="${OP99[carve]}" -v d99="${OP99[direct]}" -v c50="${OP50[carve]}" -v d50="${OP50[direct]}" -v cb="${OB99[carve]}" -v db="${OB99[direct]}" 'BEGIN{
	printf "carve adds %d µs at p50 and %d µs at p99 over direct (medians; best rounds: %d µs at p99); aim: p99 added < 1000 µs\n", c50-d50, c99-d99, cb-db }'

# --- shadow traffic ---------------------------------------------------------------------------
declare -A SURL=([plain]="http://127.0.0.1:$NOSHADOW/api/orders/7" [shadow]="http://127.0.0.1:$SHADOW/api/orders/7")
declare -A SPID=([plain]=$NOSHADOW_PID [shadow]=$SHADOW_PID)
SHRAW=$D/shadow.tsv
: >"$SHRAW"
for t in plain shadow; do wrk -t2 -c64 -d3s "${SURL[$t]}" >/dev/null; done
order=(plain shadow)
for ((r = 1; r <= ROUNDS; r++)); do
	for t in "${order[@]}"; do
		c0=$(cpu_ticks "${SPID[$t]}")
		out=$(wrk -t2 -c64 -d"$DURATION" --latency "${SURL[$t]}")
		c1=$(cpu_ticks "${SPID[$t]}")
		reqs=$(awk '/requests in/ {print $1}' <<<"$out")
		rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
		p99=$(to_us "$(awk '$1=="99%" {print $2}' <<<"$out")")
		cpu_us=$(awk -v d=$((c1 - c0)) -v t="$TICK" -v n="$reqs" 'BEGIN{printf "%.2f", d/t*1e6/n}')
		printf '%s\t%s\t%s\t%s\n' "$t" "$rps" "$p99" "$cpu_us" >>"$SHRAW"
		printf 'shadow round %d %-6s %10.0f req/s  p99 %8.0fus  cpu %6.2fus/req\n' "$r" "$t" "$rps" "$p99" "$cpu_us" >&2
	done
	order=("${order[@]:1}" "${order[0]}")
done
scol() { awk -F'\t' -v t="$1" -v c="$2" '$1==t {print $c}' "$SHRAW" | median; }
echo
echo "## shadow traffic: carve with shadow {sample: 0.1} vs without — wrk -t2 -c64 -d$DURATION, $ROUNDS rotated rounds, medians"
echo
echo "| carve | req/s | p99 µs | proxy CPU µs/primary request |"
echo "| --- | ---: | ---: | ---: |"
for t in plain shadow; do
	printf '| %s | %.0f | %.0f | %.2f |\n' "$t" "$(scol "$t" 2)" "$(scol "$t" 3)" "$(scol "$t" 4)"
done
echo
awk -v s="$(scol shadow 4)" -v p="$(scol plain 4)" 'BEGIN{
	printf "CPU per primary request at saturation: shadow/plain %.3fx (aim <= 1.05)\n", s/p }'

# The same two at a fixed rate, a quarter of plain's saturation (a proxy in production is not
# saturated): at saturation the proxy's own requests share each wake-up among 64 busy
# connections while the few copies in flight do not, so the ratio there overstates what a
# copy costs a proxy with headroom.
SRATE=$(awk -v r="$(scol plain 2)" 'BEGIN{printf "%d", r/4}')
SOPEN=$D/shadow-open.tsv
: >"$SOPEN"
order=(plain shadow)
for ((r = 1; r <= ROUNDS; r++)); do
	for t in "${order[@]}"; do
		c0=$(cpu_ticks "${SPID[$t]}")
		line=$("$D/openloop" -url "${SURL[$t]}" -rate "$SRATE" -d "$DURATION" -c 64)
		c1=$(cpu_ticks "${SPID[$t]}")
		n=$(sed 's/.*sent=\([0-9]*\).*/\1/' <<<"$line")
		p99=$(sed 's/.*p99_us=\([0-9]*\).*/\1/' <<<"$line")
		cpu_us=$(awk -v d=$((c1 - c0)) -v t="$TICK" -v n="$n" 'BEGIN{printf "%.2f", d/t*1e6/n}')
		printf '%s\t%s\t%s\t%s\n' "$t" "$n" "$p99" "$cpu_us" >>"$SOPEN"
		printf 'shadow open round %d %-6s p99 %8sus  cpu %6.2fus/req\n' "$r" "$t" "$p99" "$cpu_us" >&2
	done
	order=("${order[@]:1}" "${order[0]}")
done
ocol() { awk -F'\t' -v t="$1" -v c="$2" '$1==t {print $c}' "$SOPEN" | median; }
compared=$(curl -fsS "http://127.0.0.1:$SHADOW_ADMIN/metrics" | awk '/^carve_proxy_shadow_compared_total/ {s+=$2} END{print s+0}')
dropped=$(curl -fsS "http://127.0.0.1:$SHADOW_ADMIN/metrics" | awk '/^carve_proxy_shadow_dropped_total/ {s+=$2} END{print s+0}')
echo
echo "open loop at $SRATE req/s, -d$DURATION × $ROUNDS rotated rounds, medians:"
echo
echo "| carve | p99 µs | proxy CPU µs/primary request |"
echo "| --- | ---: | ---: |"
for t in plain shadow; do
	printf '| %s | %.0f | %.2f |\n' "$t" "$(ocol "$t" 3)" "$(ocol "$t" 4)"
done
echo
awk -v s="$(ocol shadow 4)" -v p="$(ocol plain 4)" -v c="$compared" -v d="$dropped" 'BEGIN{
	printf "CPU per primary request at a quarter of saturation: shadow/plain %.3fx (aim <= 1.05); %d copies compared, %d dropped\n", s/p, c, d }'

# --- TLS listeners ---------------------------------------------------------------------------
declare -A TURL=([carve]="https://127.0.0.1:$CARVE_TLS/api/orders/7" [nginx]="https://127.0.0.1:$NGINX_TLS/api/orders/7")
declare -A TPID=([carve]=$CARVE_TLS_PID [nginx]=$NGINX_PID)
TLSRAW=$D/tls.tsv
: >"$TLSRAW"
for t in carve nginx; do wrk -t2 -c64 -d3s "${TURL[$t]}" >/dev/null; done
order=(carve nginx)
for ((r = 1; r <= ROUNDS; r++)); do
	for t in "${order[@]}"; do
		c0=$(cpu_ticks "${TPID[$t]}")
		out=$(wrk -t2 -c64 -d"$DURATION" -H 'X-User-ID: u1' "${TURL[$t]}")
		c1=$(cpu_ticks "${TPID[$t]}")
		reqs=$(awk '/requests in/ {print $1}' <<<"$out")
		rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
		cpu_us=$(awk -v d=$((c1 - c0)) -v t="$TICK" -v n="$reqs" 'BEGIN{printf "%.1f", d/t*1e6/n}')
		printf '%s\th1\t%s\t%s\n' "$t" "$rps" "$cpu_us" >>"$TLSRAW"
		printf 'tls round %d %-6s HTTP/1.1 %10.0f req/s  cpu %6.1fus/req\n' "$r" "$t" "$rps" "$cpu_us" >&2
		c0=$(cpu_ticks "${TPID[$t]}")
		out=$(h2load -c64 -m1 -t2 -D "${DURATION%s}" -H 'X-User-ID: u1' "${TURL[$t]}" 2>&1)
		c1=$(cpu_ticks "${TPID[$t]}")
		reqs=$(awk '/^requests:/ {print $8}' <<<"$out")
		rps=$(awk '/^finished in/ {sub(/,/,"",$4); print $4}' <<<"$out")
		cpu_us=$(awk -v d=$((c1 - c0)) -v t="$TICK" -v n="$reqs" 'BEGIN{ if (n > 0) printf "%.1f", d/t*1e6/n; else print "nan" }')
		printf '%s\th2\t%s\t%s\n' "$t" "$rps" "$cpu_us" >>"$TLSRAW"
		printf 'tls round %d %-6s HTTP/2   %10.0f req/s  cpu %6.1fus/req\n' "$r" "$t" "$rps" "$cpu_us" >&2
	done
	order=("${order[@]:1}" "${order[0]}")
done
tcol() { awk -F'\t' -v t="$1" -v p="$2" -v c="$3" '$1==t && $2==p {print $c}' "$TLSRAW" | median; }
echo
echo "## TLS listeners: carve (HTTP/1.1 fasthttp, HTTP/2 net/http) vs nginx with TLS — wrk (HTTP/1.1) and h2load -m1 (HTTP/2), 64 connections, $ROUNDS rotated rounds, medians"
echo
echo "| target | protocol | req/s | proxy CPU µs/request |"
echo "| --- | --- | ---: | ---: |"
for p in h1 h2; do
	for t in carve nginx; do
		printf '| %s | %s | %.0f | %.1f |\n' "$t" "$p" "$(tcol "$t" "$p" 3)" "$(tcol "$t" "$p" 4)"
	done
done
echo
for p in h1 h2; do
	awk -v p="$p" -v a="$(tcol carve "$p" 4)" -v n="$(tcol nginx "$p" 4)" 'BEGIN{ printf "TLS %s CPU per request: carve/nginx %.2fx (aim <= 2)\n", p, a/n }'
done

# --- a Lambda function as the upstream ---------------------------------------------------------
(cd "$ROOT" && "$D/lambda" -carve "$CARVE" -backend "http://127.0.0.1:$BE" -d "${LAMBDA_DURATION:-5s}" -rounds "$ROUNDS")

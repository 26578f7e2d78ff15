#!/usr/bin/env bash
# tmux_test.sh REPO WORK — drive 'carve tui' in a real terminal (a private tmux server):
# open a fixture plan, move a package, save, quit; then analyse a tiny module in the TUI and
# quit. TestTmux runs it and checks the saved plan and carve.yaml. Waits poll capture-pane;
# nothing sleeps blindly.
set -euo pipefail
repo=$1
work=$2

if ! command -v tmux >/dev/null; then
	apt-get update -qq >/dev/null && apt-get install -y -qq tmux >/dev/null
fi

(cd "$repo" && go build -o "$work/carve" ./cmd/carve)
cp "$repo/tui/testdata/shop.plan.json" "$work/plan.json"

sock="carve-tui-test-$$"
tmx() { tmux -L "$sock" -f /dev/null "$@"; }
trap 'tmx kill-server 2>/dev/null || true' EXIT

screen() { tmx capture-pane -p -t tui; }

# wait_for TEXT: poll the screen until TEXT shows, for up to 30 s (a loaded machine is slow;
# polling costs nothing when it is fast).
wait_for() {
	for _ in $(seq 1 600); do
		if screen | grep -qF -- "$1"; then
			return 0
		fi
		sleep 0.05
	done
	echo "tmux_test: timed out waiting for \"$1\"; the screen:" >&2
	screen >&2
	exit 1
}

keys() { tmx send-keys -t tui "$@"; }

# start CMD: a detached session running CMD. On a loaded machine the first client can lose the
# race with a server that is still starting ("server exited unexpectedly"): try again.
start() {
	local err
	for _ in 1 2 3 4 5; do
		if err=$(tmx new-session -d -s tui -x 80 -y 24 \
			"env TERM=xterm-256color NO_COLOR=1 CARVE_CACHE_DIR=$work/carve-cache $* --debug-log $work/tui.log; echo \"carve exited \$?\"; sleep 60" 2>&1); then
			return 0
		fi
		echo "tmux_test: new-session: $err; retrying" >&2
		tmx kill-server 2>/dev/null || true
		sleep 0.5
	done
	echo "tmux_test: could not start a tmux session: $err" >&2
	exit 1
}

# 1. A plan opens at once in 80×24; move cart to catalog and save.
start "$work/carve" tui --plan "$work/plan.json"
wait_for "q quit"
wait_for "catalog"
keys Tab
wait_for "2 Packages"
wait_for "Lines"
keys / c a r t Enter
wait_for "/cart"
keys m
wait_for "Move cart (now in orders) to:"
keys Enter
wait_for "moved cart to catalog"
wait_for "● edited"

# Resizing redraws the whole screen at the new size.
tmx resize-window -t tui -x 100 -y 30
wait_for "moved cart to catalog"
lines=$(screen | wc -l)
[ "$lines" -eq 30 ] || { echo "tmux_test: $lines lines after resizing to 30" >&2; exit 1; }
tmx resize-window -t tui -x 80 -y 24

keys w
wait_for "saved plan.json"
keys q
wait_for "carve exited 0"
tmx kill-session -t tui

# 2. A module is analysed in the TUI (progress, then the services), and q quits.
start "$work/carve" tui "$repo/tui/testdata/tinymod" --out "$work/tiny.json" --config "$work/tiny.yaml"
wait_for "q quit"
wait_for "tiny"
keys q
wait_for "carve exited 0"

# Nothing but the UI reached the terminal: the log went to the file.
[ -s "$work/tui.log" ] || { echo "tmux_test: no debug log written" >&2; exit 1; }
echo "tmux_test: ok"

#!/usr/bin/env bash
# Runs bench.py against a fresh release Gregor and, when librdkafka-dev is installed, against
# librdkafka's mock broker from ../shared/tools, in the same run.
#     [SCRATCH=.build-perf] bash Interop/bench/run.sh [records] [bench.py options, e.g. --only-idempotence]
# SCRATCH is the SwiftPM scratch path (default .build), so a benchmark can build in its own dir.
set -euo pipefail
cd "$(dirname "$0")/../.."
records=${1:-1000000}
scratch=${SCRATCH:-.build}
swift build -c release --scratch-path "$scratch" --product gregor >&2
py=Interop/.venv/bin/python
[ -x "$py" ] || { python3 -m venv Interop/.venv && Interop/.venv/bin/pip install -q -r Interop/requirements.txt; }
data=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$scratch/release/gregor" --override log.dirs="$data" --override listeners=PLAINTEXT://127.0.0.1:$port >/dev/null 2>&1 &
gregor=$!
peer_args=()
mock=""
if [ -f ../shared/tools/peer-mock-broker.c ] && [ -f /usr/include/librdkafka/rdkafka_mock.h ]; then
    cc -O2 ../shared/tools/peer-mock-broker.c -lrdkafka -o "$data/peer-mock-broker"
    "$data/peer-mock-broker" 3600 bench-100-1-none bench-100-1-lz4 bench-100-all-none bench-100-all-lz4 \
        bench-1024-1-none bench-1024-1-lz4 bench-1024-all-none bench-1024-all-lz4 bench-lat \
        idem-100-1-plain idem-100-all-plain idem-100-all-idem \
        idem-1024-1-plain idem-1024-all-plain idem-1024-all-idem > "$data/mock.addr" &
    mock=$!
    for _ in $(seq 100); do [ -s "$data/mock.addr" ] && break; sleep 0.1; done
    peer_args=(--peer "$(head -1 "$data/mock.addr")")
fi
# Wait for Gregor to stop before removing its data: it writes snapshots as it shuts down.
trap 'kill $gregor ${mock:-} 2>/dev/null; wait $gregor 2>/dev/null || true; rm -rf "$data"' EXIT
sleep 1
uname -srm; nproc
"$py" Interop/bench/bench.py --gregor 127.0.0.1:$port "${peer_args[@]}" --records "$records" "${@:2}"

#!/usr/bin/env bash
# Re-run the golden request capture. See README.md.
# Env overrides: VENV, WORK, MOCK_SRC, CLIENTS, SCENARIOS, GOLDEN.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
VENV="${VENV:-/work/venv-capture}"
WORK="${WORK:-/tmp/capture}"
MOCK_SRC="${MOCK_SRC:-/work/shared/tools/peer-mock-broker.c}"
CLIENTS="${CLIENTS:-librdkafka,kafka-python,aiokafka,kcat}"
GOLDEN="${GOLDEN:-$REPO/Tests/KafkaProtocolTests/Fixtures/Golden}"

mkdir -p "$WORK"

# 1. pinned clients in a venv outside the repo
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q -r "$HERE/requirements.txt"
command -v kcat >/dev/null || { echo "kcat not installed (apt-get install kcat)" >&2; exit 1; }

# 2. the mock broker (build-time-only peer, never committed): Debian's
#    librdkafka-dev header, linked against the newer librdkafka bundled in the
#    confluent-kafka wheel; fall back to Debian's librdkafka if that fails.
LIBDIR="$("$VENV/bin/python" -c 'import confluent_kafka, os; print(os.path.dirname(confluent_kafka.__file__) + ".libs")')"
SO="$(ls "$LIBDIR"/librdkafka*.so* 2>/dev/null | head -n1 || true)"
if [ -n "$SO" ] && cc -O2 "$MOCK_SRC" "$SO" -Wl,-rpath,"$LIBDIR" -o "$WORK/mock"; then
    LINKED="$SO (bundled in confluent-kafka wheel)"
else
    echo "WARNING: linking the bundled librdkafka failed; using Debian's librdkafka" >&2
    cc -O2 "$MOCK_SRC" -lrdkafka -o "$WORK/mock"
    SO="$(ldd "$WORK/mock" | awk '/librdkafka/ {print $3}')"
    LINKED="$SO (Debian)"
fi
RDVER="$("$VENV/bin/python" -c 'import ctypes, sys
l = ctypes.CDLL(sys.argv[1]); l.rd_kafka_version_str.restype = ctypes.c_char_p
print(l.rd_kafka_version_str().decode())' "$SO")"
HDRVER="$(dpkg-query -W -f='${Version}' librdkafka-dev 2>/dev/null || echo unknown)"
echo "mock: librdkafka $RDVER ($LINKED)"

INFO="$("$VENV/bin/python" -c 'import json, sys
print(json.dumps({"program": "peer-mock-broker.c from /work/shared/tools (build-time-only peer, not committed): librdkafka mock cluster, 1 broker",
                  "librdkafka_version": sys.argv[1], "linked_library": sys.argv[2],
                  "compiled_with_header": "Debian librdkafka-dev " + sys.argv[3],
                  "build": "cc -O2 peer-mock-broker.c <librdkafka .so> -Wl,-rpath,<dir> -o mock"}))' "$RDVER" "$LINKED" "$HDRVER")"

# 3. run every client scenario through proxy.py and write the fixtures.
#    This includes the 'meta-v12' run (librdkafka, kafka-python): 'meta' again
#    with proxy.py --clamp 3:12, so the clients send MetadataRequest v12, the
#    newest version in the Kafka specs the codec is pinned to (the mock
#    advertises v13). SCENARIOS (comma list) limits the runs; note that drive.py
#    rewrites the whole Golden folder from whatever it ran.
exec "$VENV/bin/python" "$HERE/drive.py" capture --mock "$WORK/mock" --work "$WORK/run" \
    --golden "$GOLDEN" --clients "$CLIENTS" --scenarios "${SCENARIOS:-}" --mock-info "$INFO"

#!/usr/bin/env bash
# The README's start command: installs the compression -dev packages if missing, builds Gregor
# in release mode, and runs the broker with any arguments given (e.g. --override key=value).
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
for pkg in zlib1g-dev libzstd-dev liblz4-dev libsnappy-dev; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
swift build -c release --product gregor >&2
exec .build/release/gregor "$@"

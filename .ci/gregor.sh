#!/usr/bin/env bash
# The README's start command: installs the system -dev packages if missing, builds Gregor
# in release mode, and runs the broker with any arguments given (e.g. --override key=value).
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/system-packages.sh
swift build -c release --product gregor >&2
exec .build/release/gregor "$@"

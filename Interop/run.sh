#!/usr/bin/env bash
# The interop harness: real Kafka clients (confluent-kafka, kafka-python, aiokafka, kcat) against
# a freshly started Gregor broker per client. Builds nothing: it runs the binary in GREGOR_BIN.
#
#   GREGOR_BIN=.build/debug/gregor bash Interop/run.sh [--clients kcat,aiokafka] [--scenarios restart]
#
# Installs what is missing: Debian's kcat (apt-get), and the pinned Python clients
# (requirements.txt) into Interop/.venv (the `gssapi` module builds from source: libkrb5-dev, a C
# compiler and the Python headers come from apt-get when missing). kerberos/kdc.sh, which the
# harness runs once for the GSSAPI scenarios, installs the KDC's packages itself. Prints PASS / FAIL / KNOWN-FAIL per scenario and ends
# with "N passed, M failed"; exits non-zero iff M > 0. INTEROP_KEEP=1 keeps the work directory
# (broker and scenario logs, data) even when everything passed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/.."

gregor="${GREGOR_BIN:-.build/debug/gregor}"
if [ ! -x "$gregor" ]; then
    echo "interop: no broker at $gregor; build it (swift build --product gregor) or set GREGOR_BIN" >&2
    exit 2
fi
gregor="$(realpath "$gregor")"

sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
apt_updated=""
apt_install() {
    echo "interop: installing $*"
    [ -n "$apt_updated" ] || { $sudo apt-get update -qq; apt_updated=1; }
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

command -v kcat >/dev/null || apt_install kcat

python="${PYTHON:-python3}"
venv="$here/.venv"
if [ ! -x "$venv/bin/python" ]; then
    # Debian's python3 needs python3-venv (ensurepip) for this.
    if ! "$python" -m venv "$venv" >/dev/null 2>&1; then
        rm -rf "$venv"
        apt_install python3-venv
        "$python" -m venv "$venv"
    fi
fi
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
    # gssapi (kafka-python's and aiokafka's GSSAPI) has no Linux wheel: its sdist needs
    # krb5-config and the GSSAPI headers (libkrb5-dev), a C compiler and Python.h.
    command -v krb5-config >/dev/null || apt_install libkrb5-dev
    command -v gcc >/dev/null || apt_install gcc
    include="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')"
    [ -f "$include/Python.h" ] || apt_install python3-dev
    echo "interop: installing the pinned clients into $venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"
    echo "$want" >"$stamp"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/gregor-interop.XXXXXX")"
status=1
cleanup() {
    # Brokers the harness started and did not stop (it was killed): by pid, and only if that pid
    # is still our gregor.
    if [ -f "$work/broker.pids" ]; then
        while read -r pid; do
            if [ "$(readlink "/proc/$pid/exe" 2>/dev/null || true)" = "$gregor" ]; then
                kill -KILL "$pid" 2>/dev/null || true
            fi
        done <"$work/broker.pids"
    fi
    # The run's KDC (kdc.sh stops only the krb5kdc whose pid file is in that directory).
    if [ -d "$work/kerberos" ]; then
        bash "$here/kerberos/kdc.sh" stop "$work/kerberos" >/dev/null 2>&1 || true
    fi
    if [ "$status" -eq 0 ] && [ -z "${INTEROP_KEEP:-}" ]; then
        rm -rf "$work"
    else
        echo "interop: logs and data kept in $work"
    fi
}
trap cleanup EXIT

# In the background so that a signal reaches the trap at once; the harness stops its brokers and
# scenario processes on SIGTERM.
"$venv/bin/python" "$here/harness.py" --gregor "$gregor" --work "$work" "$@" &
harness=$!
trap 'kill -TERM "$harness" 2>/dev/null || true; wait "$harness" || true; exit 130' INT TERM
wait "$harness" && status=0 || status=$?
exit "$status"

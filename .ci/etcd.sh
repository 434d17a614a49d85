# Sourced by .ci/run: the GregorCluster tests start real etcd processes
# (Tests/GregorClusterTests/Support/EtcdServer.swift) and fail without one. Installs Debian's
# etcd-server (etcd 3.4) when no etcd is on PATH.
if ! command -v etcd >/dev/null 2>&1 && ! dpkg -s etcd-server >/dev/null 2>&1; then
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "installing etcd-server" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends etcd-server >/dev/null
fi

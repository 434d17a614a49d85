# Sourced by .ci/run and .ci/gregor.sh: installs the Debian packages the build links against
# when any is missing: zlib, zstd, lz4 and snappy for record compression, Cyrus SASL and its
# GSSAPI plugin for Kerberos.
need=()
for pkg in zlib1g-dev libzstd-dev liblz4-dev libsnappy-dev libsasl2-dev libsasl2-modules-gssapi-mit; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "installing ${need[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

#!/usr/bin/env bash
# A throwaway MIT Kerberos realm (GREGOR.TEST) on loopback, for the GSSAPI SASL tests.
#
#   bash Interop/kerberos/kdc.sh start DIR   # set up DIR (once) and start krb5kdc; prints env lines
#   bash Interop/kerberos/kdc.sh env DIR     # print the env lines again
#   bash Interop/kerberos/kdc.sh stop DIR    # stop the KDC started for DIR
#
# Everything lives in DIR: krb5.conf, kdc.conf, the database (random master password, stashed),
# the KDC log and pid file, and three keytabs:
#   DIR/broker.keytab   kafka/localhost@GREGOR.TEST   (the broker: service "kafka", host "localhost")
#   DIR/alice.keytab    alice@GREGOR.TEST             (a client)
#   DIR/mallory.keytab  mallory@GREGOR.TEST           (deleted from the KDC once its keytab was written:
#                                                      a client the KDC does not know)
# and one more service principal without a keytab, kafka-other/localhost@GREGOR.TEST: a service the
# KDC issues tickets for but whose key the broker does not hold (the negative tests).
# No file under /etc is read or written: every tool is pointed at DIR by KRB5_CONFIG and
# KRB5_KDC_PROFILE. The KDC listens on one free 127.0.0.1 port, UDP and TCP.
#
# `start` prints lines of the form NAME=VALUE (eval-able, e.g. `eval "$(kdc.sh start DIR)"` with
# `export` added by the caller, or read line by line):
#   KRB5_CONFIG, KRB5_KDC_PROFILE, KRB5CCNAME (a cache in DIR), KRB5_KTNAME (the broker keytab),
#   KRB5RCACHEDIR (the acceptor's replay cache goes to DIR instead of /var/tmp),
#   GREGOR_KRB5_REALM, GREGOR_KRB5_KDC (host:port), GREGOR_KRB5_CLIENT_KEYTAB, GREGOR_KRB5_CLIENT_PRINCIPAL,
#   GREGOR_KRB5_SERVICE_PRINCIPAL, GREGOR_KRB5_UNKNOWN_KEYTAB, GREGOR_KRB5_UNKNOWN_PRINCIPAL,
#   GREGOR_KRB5_KEYLESS_SERVICE.
# Idempotent: a second `start` on a running DIR only prints the lines; on a stopped DIR it reuses
# the database and keytabs and starts the KDC again (on a new port if the old one was taken).
# Installs its Debian packages when missing (needs root or sudo, and network to Debian's mirror).
set -euo pipefail

realm=GREGOR.TEST
service_principal="kafka/localhost"
client_principal="alice"
unknown_principal="mallory"
keyless_service="kafka-other"

usage() { echo "usage: $0 start|stop|env DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd="$1"
mkdir -p "$2"
dir="$(cd "$2" && pwd)"

pidfile="$dir/krb5kdc.pid"

kdc_running() {
    [ -s "$pidfile" ] || return 1
    local pid; pid="$(cat "$pidfile")"
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    # A recycled pid is not our KDC.
    grep -q krb5kdc "/proc/$pid/comm" 2>/dev/null
}

print_env() {
    cat <<EOF
KRB5_CONFIG=$dir/krb5.conf
KRB5_KDC_PROFILE=$dir/kdc.conf
KRB5CCNAME=FILE:$dir/krb5cc
KRB5_KTNAME=FILE:$dir/broker.keytab
KRB5RCACHEDIR=$dir
GREGOR_KRB5_REALM=$realm
GREGOR_KRB5_KDC=127.0.0.1:$(cat "$dir/port")
GREGOR_KRB5_CLIENT_KEYTAB=$dir/alice.keytab
GREGOR_KRB5_CLIENT_PRINCIPAL=$client_principal@$realm
GREGOR_KRB5_SERVICE_PRINCIPAL=$service_principal@$realm
GREGOR_KRB5_UNKNOWN_KEYTAB=$dir/mallory.keytab
GREGOR_KRB5_UNKNOWN_PRINCIPAL=$unknown_principal@$realm
GREGOR_KRB5_KEYLESS_SERVICE=$keyless_service
EOF
}

install_missing() {
    # krb5-kdc: krb5kdc, kdb5_util (pulls krb5-user: kinit, klist, kvno).
    # krb5-admin-server: kadmin.local (addprinc, ktadd); its kadmind is never started.
    # libsasl2-modules-gssapi-mit: Cyrus SASL's GSSAPI plugin (libgssapiv2.so).
    # libsasl2-dev: <sasl/sasl.h> and libsasl2.so, to build the broker's SASL shim.
    local want=(krb5-kdc krb5-admin-server krb5-user libsasl2-modules-gssapi-mit libsasl2-dev)
    local missing=() p
    for p in "${want[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "kdc.sh: installing ${missing[*]}" >&2
    # Install first without refreshing the lists (fast when they are fresh); update only on failure.
    if ! DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
        $sudo apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
    # The packages' own service scripts may have started a system KDC (not on a policy-rc.d
    # machine); it reads /etc and is none of ours, so it is left alone.
}

port_free() {
    # Free for both TCP and UDP on 127.0.0.1? Any socket on it counts, not only listening ones: the
    # local end of an outgoing connection keeps krb5kdc from binding it too. (ss is in iproute2;
    # without it, only a TCP listener is probed.)
    if command -v ss >/dev/null 2>&1; then
        ! ss -Htuan "( sport = :$1 )" 2>/dev/null | grep -q .
    else
        ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
    fi
}

pick_port() {
    # Below the kernel's ephemeral range, where outgoing connections (and ports other programs ask
    # the kernel for) take theirs.
    local p i low=32768 span
    if [ -r /proc/sys/net/ipv4/ip_local_port_range ]; then
        read -r low _ </proc/sys/net/ipv4/ip_local_port_range || low=32768
    fi
    span=$(( low - 20000 ))
    [ "$span" -ge 1000 ] || span=30000
    for i in $(seq 1 200); do
        p=$(( 20000 + RANDOM % span ))
        if port_free "$p"; then echo "$p"; return 0; fi
    done
    echo "kdc.sh: no free port found" >&2
    return 1
}

write_configs() {
    local port="$1"
    echo "$port" > "$dir/port"
    cat > "$dir/krb5.conf" <<EOF
[libdefaults]
    default_realm = $realm
    dns_lookup_kdc = false
    dns_lookup_realm = false
    dns_canonicalize_hostname = false
    rdns = false
    ignore_acceptor_hostname = false
    forwardable = true
    ticket_lifetime = 10h
    default_ccache_name = FILE:$dir/krb5cc

[realms]
    $realm = {
        kdc = 127.0.0.1:$port
        admin_server = 127.0.0.1:$port
    }

[domain_realm]
    localhost = $realm
    .localhost = $realm

[logging]
    default = FILE:$dir/krb5lib.log
EOF
    cat > "$dir/kdc.conf" <<EOF
[kdcdefaults]
    kdc_listen = 127.0.0.1:$port
    kdc_tcp_listen = 127.0.0.1:$port

[realms]
    $realm = {
        database_name = $dir/principal
        key_stash_file = $dir/stash
        acl_file = $dir/kadm5.acl
        admin_keytab = FILE:$dir/kadm5.keytab
        kdc_listen = 127.0.0.1:$port
        kdc_tcp_listen = 127.0.0.1:$port
        max_life = 1d
        max_renewable_life = 7d
        supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
    }

[logging]
    kdc = FILE:$dir/kdc.log
    admin_server = FILE:$dir/kadmin.log
    default = FILE:$dir/kdc.log
EOF
    : > "$dir/kadm5.acl"
}

create_realm() {
    rm -f "$dir"/principal* "$dir/stash" "$dir/broker.keytab" "$dir/alice.keytab" "$dir/mallory.keytab"
    local master
    master="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    kdb5_util create -s -r "$realm" -P "$master" >"$dir/setup.log" 2>&1 \
        || { cat "$dir/setup.log" >&2; return 1; }
    kadmin.local -r "$realm" >>"$dir/setup.log" 2>&1 <<EOF || { cat "$dir/setup.log" >&2; return 1; }
addprinc -randkey $service_principal
addprinc -randkey $client_principal
ktadd -k $dir/broker.keytab $service_principal
ktadd -k $dir/alice.keytab $client_principal
addprinc -randkey $keyless_service/localhost
addprinc -randkey $unknown_principal
ktadd -k $dir/mallory.keytab $unknown_principal
delprinc -force $unknown_principal
EOF
    chmod 600 "$dir/broker.keytab" "$dir/alice.keytab" "$dir/mallory.keytab"
    touch "$dir/.realm-ready"
}

start() {
    if [ -f "$dir/.realm-ready" ] && kdc_running && [ -s "$dir/port" ]; then
        print_env
        return 0
    fi
    command -v krb5kdc >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin"
    install_missing

    local port
    if [ -s "$dir/port" ] && port_free "$(cat "$dir/port")"; then
        port="$(cat "$dir/port")"
    else
        port="$(pick_port)"
    fi
    write_configs "$port"
    export KRB5_CONFIG="$dir/krb5.conf" KRB5_KDC_PROFILE="$dir/kdc.conf"

    if [ ! -f "$dir/.realm-ready" ] || [ ! -s "$dir/broker.keytab" ] || [ ! -s "$dir/alice.keytab" ] \
        || [ ! -s "$dir/mallory.keytab" ]; then
        create_realm
    fi

    # krb5kdc forks into the background itself (once its sockets are bound) and writes the pid
    # file. The port may be taken between the check and the bind: then another one, a few times.
    local attempt
    for attempt in 1 2 3 4 5; do
        rm -f "$pidfile"
        : >"$dir/kdc.stderr"
        if krb5kdc -r "$realm" -P "$pidfile" >>"$dir/kdc.stderr" 2>&1; then
            break
        fi
        if [ "$attempt" -lt 5 ] && grep -qi "address already in use" "$dir/kdc.stderr" "$dir/kdc.log" 2>/dev/null; then
            echo "kdc.sh: port $port was taken; trying another" >&2
            : >"$dir/kdc.log"
            port="$(pick_port)"
            write_configs "$port"
            continue
        fi
        echo "kdc.sh: krb5kdc failed to start" >&2
        cat "$dir/kdc.stderr" "$dir/kdc.log" >&2 2>/dev/null
        return 1
    done

    # Ready when alice can get a TGT from it (in a memory cache: nothing left behind).
    local i
    for i in $(seq 1 100); do
        if KRB5CCNAME=MEMORY:kdcsh kinit -k -t "$dir/alice.keytab" "$client_principal@$realm" >/dev/null 2>&1; then
            print_env
            return 0
        fi
        sleep 0.1
    done
    echo "kdc.sh: KDC on 127.0.0.1:$port did not answer" >&2
    tail -20 "$dir/kdc.log" >&2 2>/dev/null || true
    return 1
}

stop() {
    if kdc_running; then
        local pid i; pid="$(cat "$pidfile")"
        kill "$pid" 2>/dev/null || true
        for i in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
}

case "$cmd" in
    start) start ;;
    stop) stop ;;
    env) [ -s "$dir/port" ] || { echo "kdc.sh: $dir is not set up" >&2; exit 1; }; print_env ;;
    *) usage ;;
esac

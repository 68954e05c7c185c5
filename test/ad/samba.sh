#!/usr/bin/env bash
# A throw-away Samba AD domain controller for smimesync's tests.
#
#   test/ad/samba.sh up [DIR]   provision (or copy a cached template), start samba on a random
#                               loopback address, wait for an LDAPS bind; prints DIR/facts.json
#   test/ad/samba.sh down DIR   stop the samba started in DIR (by its pid file) and delete DIR
#
# Several runs may share this machine: each gets its own 127.X.Y.Z (bind interfaces only), its
# own directory (pid, sockets, logs, databases) and its own TLS files, so nothing collides and
# `down` stops only what `up` started. Environment:
#   SAMBA_IP=127.X.Y.Z            use this address instead of a random one
#   SMIMESYNC_SAMBA_CACHE=DIR     where the provisioned template is kept (default
#                                 /tmp/smimesync-samba-cache); SMIMESYNC_SAMBA_CACHE=off provisions
#                                 afresh every time
set -euo pipefail

REALM=SMIMESYNC.TEST
DOMAIN=SMIMESYNC
BASE_DN=DC=smimesync,DC=test
ADMIN_PASSWORD='Sm1mesync.Test.Pw'
HOST=DC1

log() { echo "samba.sh: $*" >&2; }

ensure_packages() {
  command -v samba-tool >/dev/null && command -v samba >/dev/null && command -v ldapsearch >/dev/null \
    && command -v openssl >/dev/null && return 0
  log "installing samba, ldb-tools, ldap-utils (apt-get)"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q >&2
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    samba ldb-tools ldap-utils winbind openssl ca-certificates >&2
  # Debian starts the packaged daemons on install; they would hold 0.0.0.0 ports we do not need.
  $sudo systemctl disable --now samba-ad-dc smbd nmbd winbind >/dev/null 2>&1 || true
}

# Provisioning writes no absolute path outside etc/smb.conf (checked: grep of the target dir), so
# a provisioned directory can be copied and its smb.conf rewritten. That saves ~5 s a run.
provision_into() {
  local dir=$1
  samba-tool domain provision --realm="$REALM" --domain="$DOMAIN" --host-name="$HOST" \
    --server-role=dc --dns-backend=NONE --use-rfc2307 --adminpass="$ADMIN_PASSWORD" \
    --targetdir="$dir" --option="interfaces=127.0.0.1/8" --option="bind interfaces only=yes" >"$dir.provision.log" 2>&1 \
    || { log "provision failed:"; cat "$dir.provision.log" >&2; return 1; }
  rm -f "$dir.provision.log"
}

template_dir() {
  local cache=${SMIMESYNC_SAMBA_CACHE:-/tmp/smimesync-samba-cache}
  local key
  key=$( (samba --version; echo "$REALM $DOMAIN $HOST $ADMIN_PASSWORD v1") | sha256sum | cut -c1-16)
  local tpl="$cache/$key"
  if [ ! -f "$tpl/.complete" ]; then
    mkdir -p "$cache"
    # One provisioning at a time; the others wait and then copy the result.
    exec 9>"$cache/.lock"
    flock 9
    if [ ! -f "$tpl/.complete" ]; then
      log "provisioning template $tpl (once per machine)"
      rm -rf "$tpl.tmp" && mkdir -p "$tpl.tmp"
      provision_into "$tpl.tmp"
      touch "$tpl.tmp/.complete"
      rm -rf "$tpl" && mv "$tpl.tmp" "$tpl"
    fi
    flock -u 9
    exec 9>&-
  fi
  echo "$tpl"
}

random_ip() {
  local ip
  for _ in $(seq 1 50); do
    ip="127.$((RANDOM % 250 + 2)).$((RANDOM % 256)).$((RANDOM % 250 + 2))"
    if ! ss -ltn 2>/dev/null | grep -q " $ip:"; then echo "$ip"; return 0; fi
  done
  log "no free loopback address found"; return 1
}

make_tls() {
  local tls=$1 ip=$2
  mkdir -p "$tls"
  (
    cd "$tls"
    umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 3 \
      -subj "/CN=smimesync test CA $ip" -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout key.pem -out server.csr -subj "/CN=localhost" 2>/dev/null
    printf 'subjectAltName=DNS:localhost,IP:%s\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\nbasicConstraints=CA:FALSE\n' "$ip" >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out cert.pem -days 3 \
      -extfile server.ext 2>/dev/null
    # A second, unrelated CA: what a client configured with the wrong CA file trusts.
    openssl req -x509 -newkey rsa:2048 -nodes -keyout other-ca.key -out other-ca.pem -days 3 \
      -subj "/CN=smimesync unrelated CA" -addext "basicConstraints=critical,CA:TRUE" 2>/dev/null
    chmod 600 key.pem ca.key other-ca.key
    chmod 644 ca.pem cert.pem other-ca.pem
    rm -f server.csr server.ext ca.srl
  )
}

write_conf() {
  local dir=$1 ip=$2 conf=$1/etc/smb.conf
  # Rewrite the template's paths to this directory, then override what must be per run.
  python3 - "$conf" "$dir" "$ip" <<'PY'
import re, sys
conf, d, ip = sys.argv[1:4]
text = open(conf).read()
lines = []
for line in text.splitlines():
    m = re.match(r"\s*(binddns dir|cache directory|lock directory|private dir|state directory|path|interfaces|server services|log file|bind interfaces only)\s*=\s*(.*)", line)
    if m and m.group(1) in ("interfaces", "server services", "log file", "bind interfaces only"):
        continue
    if m:
        old = m.group(2)
        # the template's own directory is everything before the first known sub-directory
        new = re.sub(r"^.*?/(bind-dns|cache|private|state)(/|$)", lambda x: f"{d}/{x.group(1)}{x.group(2)}", old)
        if m.group(1) == "lock directory":
            new = d
        if new != old or m.group(1) == "lock directory":
            line = line.replace(old, new)
    lines.append(line)
out = "\n".join(lines) + "\n"
extra = f"""\tinterfaces = {ip}/8
\tbind interfaces only = yes
\t# Only the LDAP server: no KDC, DNS, SMB or RPC ports to collide with other runs.
\tserver services = ldap
\tpid directory = {d}/run
\tncalrpc dir = {d}/run/ncalrpc
\twinbindd socket directory = {d}/run/winbindd
\tntp signd socket directory = {d}/run/ntp_signd
\tlog file = {d}/log/samba.log
\tlog level = 1
\ttls enabled = yes
\ttls keyfile = {d}/tls/key.pem
\ttls certfile = {d}/tls/cert.pem
\ttls cafile = {d}/tls/ca.pem
\t# Lets a test prove that a client with allowInsecure can bind over plain ldap://.
\tldap server require strong auth = no
\t# No fsync per transaction: seeding runs ~6x faster; the data is thrown away anyway.
\tldb:nosync = true
"""
out = out.replace("[global]\n", "[global]\n" + extra, 1)
open(conf, "w").write(out)
PY
}

facts_json() {
  local dir=$1 ip=$2
  cat <<EOF
{
  "dir": "$dir",
  "ip": "$ip",
  "ldapsUrl": "ldaps://$ip:636",
  "ldapUrl": "ldap://$ip:389",
  "baseDn": "$BASE_DN",
  "realm": "$REALM",
  "domain": "$DOMAIN",
  "adminDn": "CN=Administrator,CN=Users,$BASE_DN",
  "adminUpn": "Administrator@${REALM,,}",
  "password": "$ADMIN_PASSWORD",
  "caFile": "$dir/tls/ca.pem",
  "otherCaFile": "$dir/tls/other-ca.pem",
  "pidFile": "$dir/run/samba.pid"
}
EOF
}

up() {
  ensure_packages
  local dir=${1:-}
  [ -n "$dir" ] || dir=$(mktemp -d /tmp/smimesync-samba.XXXXXX)
  mkdir -p "$dir"
  local ip=${SAMBA_IP:-}
  [ -n "$ip" ] || ip=$(random_ip)
  local t0=$SECONDS
  if [ "${SMIMESYNC_SAMBA_CACHE:-}" = "off" ]; then
    provision_into "$dir"
  else
    local tpl
    tpl=$(template_dir)
    cp -a "$tpl/." "$dir/"
    rm -f "$dir/.complete"
  fi
  mkdir -p "$dir/run" "$dir/log"
  make_tls "$dir/tls" "$ip"
  write_conf "$dir" "$ip"
  facts_json "$dir" "$ip" >"$dir/facts.json"
  samba -D -s "$dir/etc/smb.conf"
  local ok=""
  for _ in $(seq 1 300); do
    if LDAPTLS_CACERT="$dir/tls/ca.pem" ldapsearch -LLL -o nettimeout=2 -H "ldaps://$ip:636" \
      -D "Administrator@${REALM,,}" -w "$ADMIN_PASSWORD" -b "$BASE_DN" -s base dn >/dev/null 2>&1; then
      ok=1; break
    fi
    sleep 0.1
  done
  if [ -z "$ok" ]; then
    log "samba did not answer an LDAPS bind on $ip within 30 s; log:"
    tail -n 40 "$dir/log/samba.log" >&2 || true
    down "$dir" || true
    return 1
  fi
  log "domain controller $REALM up on $ip in $((SECONDS - t0)) s ($dir)"
  cat "$dir/facts.json"
}

alive() { [ -e "/proc/$1" ] && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat" 2>/dev/null; }

# Processes holding files of this run's directory open: samba's master and its workers, only ours.
pids_in() {
  local dir=$1 p
  for p in /proc/[0-9]*; do
    ls -l "$p/fd" 2>/dev/null | grep -qF "$dir/" && alive "${p#/proc/}" && echo "${p#/proc/}"
  done
  return 0
}

down() {
  local dir=${1:?usage: samba.sh down DIR}
  case "$dir" in /*) ;; *) log "down needs an absolute directory"; return 2 ;; esac
  [ -f "$dir/facts.json" ] || [ -f "$dir/etc/smb.conf" ] || { log "$dir is no samba.sh directory"; return 2; }
  local pidfile="$dir/run/samba.pid" pid
  if [ -f "$pidfile" ]; then
    pid=$(tr -dc 0-9 <"$pidfile")
    # The pid must belong to a samba working in this directory, never another run's: samba
    # rewrites its command line ("samba: root process"), so look at its open files instead.
    if [ -n "$pid" ] && alive "$pid" && ls -l "/proc/$pid/fd" 2>/dev/null | grep -qF "$dir/"; then
      kill -TERM "$pid" 2>/dev/null || true
    fi
  fi
  # The master stops its workers; wait for all of them, then kill what is left of this run.
  local left
  for _ in $(seq 1 100); do
    left=$(pids_in "$dir")
    [ -z "$left" ] && break
    sleep 0.1
  done
  if [ -n "$left" ]; then
    # shellcheck disable=SC2086
    kill -KILL $left 2>/dev/null || true
    sleep 0.2
  fi
  for _ in 1 2 3 4 5; do rm -rf "$dir" 2>/dev/null && break; sleep 0.2; done
  [ ! -e "$dir" ] || { log "could not remove $dir"; return 1; }
}

case "${1:-}" in
  up) shift; up "$@" ;;
  down) shift; down "$@" ;;
  *) echo "usage: $0 up [DIR] | down DIR" >&2; exit 2 ;;
esac

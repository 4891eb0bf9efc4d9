# slapd.sh — a throwaway OpenLDAP server for the connector tests, the LDAP
# benchmark and the demo's LDAP leg.  Source it with $T set to a scratch
# directory (the tests' common.sh sets it); start_slapd installs Debian's slapd and ldap-utils if
# missing, writes a slapd.conf (mdb backend; core, cosine, nis and
# inetorgperson schemas; rootdn cn=admin,$LDAP_BASE with a password) in
# $T/slapd, starts it on a free loopback port and stops it on exit.
#   LDAP_URL LDAP_BASE LDAP_ADMIN LDAP_PW LDAP_PWFILE SLAPD_PID
# With SLAPD_TLS=1 a throwaway CA and a server certificate for 127.0.0.1
# are made with openssl, slapd gets TLSCACertificateFile/TLSCertificateFile/
# TLSCertificateKeyFile (StartTLS on LDAP_URL) and a second listener
#   LDAPS_URL (ldaps:// on another loopback port); LDAP_CA is the CA's file
#   and LDAP_OTHER_CA an unrelated CA (for the wrong-CA case).
LDAP_BASE="dc=example,dc=org"
LDAP_ADMIN="cn=admin,$LDAP_BASE"
LDAP_PW="s3cret-$$"

ensure_slapd() {
  if [ ! -x /usr/sbin/slapd ] || ! command -v ldapsearch >/dev/null; then
    local SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends slapd ldap-utils >&2
  fi
}

free_port() {
  local p
  for _ in $(seq 50); do
    p=$(( 20000 + RANDOM % 20000 ))
    (echo >/dev/tcp/127.0.0.1/$p) 2>/dev/null || { echo $p; return; }
  done
  return 1
}

# make_tls_certs DIR: ca.pem, other-ca.pem, server.pem, server.key
make_tls_certs() {
  local d=$1
  mkdir -p "$d"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Warrant Test CA" \
    -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Unrelated CA" \
    -keyout "$d/other-ca.key" -out "$d/other-ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' > "$d/ext.cnf"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 2 \
    -extfile "$d/ext.cnf" -out "$d/server.pem" 2>/dev/null
  chmod 600 "$d/server.key"
}

stop_slapd() {
  if [ -n "${SLAPD_PID:-}" ]; then
    kill -CONT "$SLAPD_PID" 2>/dev/null || true
    kill "$SLAPD_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$SLAPD_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$SLAPD_PID" 2>/dev/null || true
  fi
  SLAPD_PID=
}

# start_slapd [LDIF_FOR_SLAPADD]: with an LDIF, the database is loaded with
# slapadd (offline, fast) before the server starts.
start_slapd() {
  ensure_slapd
  local D="$T/slapd"
  mkdir -p "$D/data"
  cat > "$D/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/nis.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile $D/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
sizelimit 500
database mdb
maxsize 8589934592
suffix "$LDAP_BASE"
rootdn "$LDAP_ADMIN"
rootpw $LDAP_PW
directory $D/data
index objectClass,uid,cn,memberUid,member eq
CONF
  local listen
  if [ "${SLAPD_TLS:-0}" = 1 ]; then
    make_tls_certs "$D/tls"
    # global directives go before the first "database" line
    sed -i "/^pidfile/a TLSCACertificateFile $D/tls/ca.pem\nTLSCertificateFile $D/tls/server.pem\nTLSCertificateKeyFile $D/tls/server.key" "$D/slapd.conf"
    LDAP_CA="$D/tls/ca.pem"
    LDAP_OTHER_CA="$D/tls/other-ca.pem"
  fi
  if [ $# -gt 0 ]; then
    slapadd -q -f "$D/slapd.conf" -l "$1" >&2
  fi
  LDAP_PORT=$(free_port)
  LDAP_URL="ldap://127.0.0.1:$LDAP_PORT"
  listen="$LDAP_URL/"
  if [ "${SLAPD_TLS:-0}" = 1 ]; then
    LDAPS_URL="ldaps://127.0.0.1:$(free_port)"
    listen="$listen $LDAPS_URL/"
  fi
  slapd -h "$listen" -f "$D/slapd.conf" >&2
  for _ in $(seq 100); do
    [ -s "$D/slapd.pid" ] && ldapsearch -x -H "$LDAP_URL" -b "" -s base >/dev/null 2>&1 && break
    sleep 0.1
  done
  SLAPD_PID=$(cat "$D/slapd.pid")
  trap stop_slapd EXIT
  LDAP_PWFILE="$T/ldap.pw"
  printf '%s\n' "$LDAP_PW" > "$LDAP_PWFILE"
  chmod 600 "$LDAP_PWFILE"
}

lsearch() { ldapsearch -x -LLL -o ldif-wrap=no -H "$LDAP_URL" -D "$LDAP_ADMIN" -w "$LDAP_PW" "$@"; }
lmodify() { ldapmodify -x -H "$LDAP_URL" -D "$LDAP_ADMIN" -w "$LDAP_PW" "$@" >/dev/null; }
ladd() { ldapadd -x -H "$LDAP_URL" -D "$LDAP_ADMIN" -w "$LDAP_PW" "$@" >/dev/null; }

#!/usr/bin/env bash
# compare.sh — `mockidp bench` against the mock Entra ID and, under the same load command,
# against two npm identity providers where their protocol allows:
#   oauth2-mock-server (OIDC)  and  saml-idp (SAML).
#
#   load/peers/compare.sh                      # concurrency 1, 8 and 64, 5 s each
#   DURATION=10s CONCURRENCY="8 64" load/peers/compare.sh
#
# The npm packages are installed (npm ci, from package.json / package-lock.json beside this
# script) into PEERS_DIR, default $XDG_CACHE_HOME/ssoharness/bench-peers — never into the
# repository. Each peer is started by bench itself (--server-cmd), so its CPU is measured
# the same way as the mock's. Every bench output is printed, then a summary table and the
# NOTES on what each peer cannot do. Exit status 1 when any run failed.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
DURATION=${DURATION:-5s}
WARMUP=${WARMUP:-1s}
CONCURRENCY=${CONCURRENCY:-"1 8 64"}
PEERS_DIR=${PEERS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ssoharness/bench-peers}
export PEERS_DIR

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0

say() { printf '\n=== %s\n' "$*"; }

# need CMD PACKAGE...: install Debian packages when CMD is missing (as root), else fail.
need() {
	local cmd=$1
	shift
	command -v "$cmd" >/dev/null 2>&1 && return 0
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "compare.sh: installing $* (for $cmd)"
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
	fi
	command -v "$cmd" >/dev/null 2>&1 || { echo "compare.sh: $cmd is required" >&2; exit 2; }
}
need go golang-go
need node nodejs
need npm npm
need openssl openssl

# oauth2-mock-server 8.2.3 needs Node ^20.19 || ^22.12 || ^24.
node_ok=1
if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit((a===20&&b>=19)||(a===22&&b>=12)||a===24?0:1)'; then
	node_ok=0
fi

say "npm install into $PEERS_DIR (node $(node --version), npm $(npm --version 2>/dev/null))"
mkdir -p "$PEERS_DIR"
if cmp -s "$here/package.json" "$PEERS_DIR/package.json" && cmp -s "$here/package-lock.json" "$PEERS_DIR/package-lock.json" &&
	[ -d "$PEERS_DIR/node_modules/oauth2-mock-server" ] && [ -d "$PEERS_DIR/node_modules/saml-idp" ]; then
	echo "up to date"
else
	cp "$here/package.json" "$here/package-lock.json" "$PEERS_DIR/"
	(cd "$PEERS_DIR" && npm ci --no-audit --no-fund --loglevel=error) || { echo "compare.sh: npm ci failed" >&2; exit 1; }
fi
for p in oauth2-mock-server saml-idp samlp; do
	printf '%s %s\n' "$p" "$(node -p "require('$PEERS_DIR/node_modules/$p/package.json').version")"
done

say "go build ./cmd/mockidp"
(cd "$root" && go build -o "$tmp/mockidp" ./cmd/mockidp) || exit 1
"$tmp/mockidp" version

results=$tmp/results.txt
: >"$results"
# bench LABEL ARGS...: run mockidp bench, print everything, keep the result lines.
bench() {
	local label=$1
	shift
	say "$label: mockidp bench $*"
	"$tmp/mockidp" bench -q --duration "$DURATION" --warmup "$WARMUP" "$@" | tee "$tmp/out.txt"
	local rc=${PIPESTATUS[0]}
	if [ "$rc" != 0 ]; then
		echo "compare.sh: $label: exit status $rc"
		status=1
	fi
	grep -E '^(entra|oauth2-mock-server|saml-idp) ' "$tmp/out.txt" >>"$results" || true
}

for c in $CONCURRENCY; do
	bench "mock Entra ID, c=$c" --protocol both --concurrency "$c"
done
for c in $CONCURRENCY; do
	if [ "$node_ok" = 1 ]; then
		bench "oauth2-mock-server, c=$c" --flavor oauth2-mock-server --protocol oidc --concurrency "$c" \
			--server-cmd "node $here/oauth2-mock-server.js {port}" --url "http://127.0.0.1:{port}"
	fi
	bench "saml-idp, c=$c" --flavor saml-idp --protocol saml --concurrency "$c" \
		--server-cmd "sh $here/saml-idp.sh {port} $tmp/keys" --url "http://127.0.0.1:{port}"
done

# OpenSSL's cost of one RSA-2048 signature (user CPU time; node's crypto is OpenSSL too).
ossl_per_s=$(openssl speed -mr -seconds 1 rsa2048 2>/dev/null | awk -F: '/^\+F2:/ {print $4; exit}')
ossl_ms=$(awk -v n="${ossl_per_s:-0}" 'BEGIN { if (n > 0) printf "%.3f", 1000 / n; else print "" }')

say "SUMMARY (duration $DURATION per run; overhead = server CPU per sign-in ÷ (signatures × RSA-2048 sign cost))"
printf '%-18s %-4s %4s %9s %9s %9s %6s %13s %5s %9s %10s %13s\n' \
	server proto c "sign-in/s" p50 p99 errors "CPU ms/sign-in" sigs "sign ms" overhead "vs OpenSSL"
awk -v ossl="$ossl_ms" '
{
	line = $0
	name = $1; proto = $2; c = $3; sub(/^c=/, "", c)
	match(line, /[0-9.]+\/s/); rate = substr(line, RSTART, RLENGTH - 2)
	match(line, /p50 +[^ ]+/); p50 = substr(line, RSTART + 4, RLENGTH - 4); gsub(/ /, "", p50)
	match(line, /p99 +[^ ]+/); p99 = substr(line, RSTART + 4, RLENGTH - 4); gsub(/ /, "", p99)
	match(line, /errors [0-9]+/); errs = substr(line, RSTART + 7, RLENGTH - 7)
	match(line, /server CPU [^ ]+/); cpu = substr(line, RSTART + 11, RLENGTH - 11)
	match(line, /sigs\/sign-in [^ ]+/); sigs = substr(line, RSTART + 13, RLENGTH - 13)
	match(line, /sign [0-9.]+ ms/); sign = substr(line, RSTART + 5, RLENGTH - 8)
	match(line, /overhead [^ ]+/); ov = substr(line, RSTART + 9, RLENGTH - 9)
	vs = "n/a"
	if (ossl != "" && cpu != "n/a" && sigs + 0 > 0) vs = sprintf("%.2f×", cpu / (sigs * ossl))
	if (name == "entra") vs = "-" # the mock signs with Go crypto/rsa: "overhead" is its figure
	printf "%-18s %-4s %4s %9s %9s %9s %6s %13s %5s %9s %10s %13s\n", name, proto, c, rate, p50, p99, errs, cpu, sigs, sign, ov, vs
}' "$results"

say "NOTES"
cat <<EOF
- A sign-in is the whole flow by a fresh cookie jar over plain HTTP on loopback, no browser;
  server CPU is utime+stime of the server process (all threads, and its children) from /proc
  across exactly the measured window, divided by the sign-ins completed in it. Client and
  server share this machine's $(nproc) CPUs: at c=64 both are saturated and latency is queueing.
- "overhead" divides by the RSA-2048 signature cost bench measured with the signer the
  server uses (OpenSSL when libcrypto.so.3 loads, else crypto/rsa: mockidp version says
  which). The node peers sign with OpenSSL, which costs
  ${ossl_ms:-?} ms per RSA-2048 signature here (openssl speed, user CPU): "vs OpenSSL" is
  the ratio against that cost, the fairer yardstick for them.
- oauth2-mock-server (OIDC only; no SAML run): it has no sign-in page — /authorize
  redirects straight back with a code, so no credentials are typed and no session exists.
  Its token endpoint checks PKCE but neither the client secret nor the redirect URI; it
  returns a signed access_token and id_token (RS256; nonce echoed) and an opaque UUID
  refresh_token: 2 signatures per sign-in, like the mock.
- saml-idp (SAML only; no OIDC run): SP-initiated works (it parses the deflated
  AuthnRequest, echoes its ID as InResponseTo and trusts its AssertionConsumerServiceURL),
  but it checks neither the Issuer nor the Destination against a registered SP. There is no
  password: its "sign-in" is a form of user attributes (bench types the user into userName
  and email). It signs both the Response and the Assertion (2 signatures, the mock signs the
  assertion only), and it prints every Response, pretty-printed, to stdout (bench drains
  it); that logging is part of the CPU measured. Its GitHub dependency samlp
  (mcguinness/node-samlp) cannot be fetched here (registry only): package.json overrides it
  with samlp 7.1.1 from the npm registry, which has the hooks saml-idp uses
  (getPostURL, responseHandler).
EOF
if [ "$node_ok" = 0 ]; then
	echo "- oauth2-mock-server was NOT run: it needs Node ^20.19 || ^22.12 || ^24, this is $(node --version)."
fi
exit $status

#!/usr/bin/env bash
# compare.sh — `mockidp bench` against the mock Entra ID, once with each signer (OpenSSL's
# libcrypto and Go's crypto/rsa), and under the same load command against two npm identity
# providers where their protocol allows: oauth2-mock-server (OIDC) and saml-idp (SAML).
#
#   load/peers/compare.sh                      # concurrency 1, 8 and 64, 5 s each (~4 min)
#   DURATION=10s CONCURRENCY="8 64" load/peers/compare.sh
#   SIGNERS=go load/peers/compare.sh           # a machine without libcrypto.so.3
#
# For each concurrency, in this order: the mock under `--signer openssl` (SAML, then OIDC),
# the floor under `--signer openssl` (load/peers/floor: the least a Go net/http server does to
# complete the same sign-ins on the same wire, with the same signatures — a measuring stick
# for what any Go HTTP server pays), the mock under `--signer go`, oauth2-mock-server,
# saml-idp — so that the five are measured close together in time. Every bench measures the RSA-2048 signature cost itself before
# its runs; the peers' bench measures OpenSSL's (node signs with OpenSSL), so the cost the
# OpenSSL targets divide by is measured in the same run, next to the load it is compared with.
#
# The npm packages are installed (npm ci, from package.json / package-lock.json beside this
# script) into PEERS_DIR, default $XDG_CACHE_HOME/ssoharness/bench-peers — never into the
# repository. Each server is started by bench itself (the mock as `mockidp serve`, the peers
# with --server-cmd), in a process of its own, so its CPU is measured the same way and the
# load generator's CPU is never counted as the server's. Every bench output is printed, then
# a summary table, the ratios against the peers, the CPU figures against issue 17's targets,
# and the NOTES on what each peer cannot do. Exit status 1 when any run failed.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
DURATION=${DURATION:-5s}
WARMUP=${WARMUP:-1s}
CONCURRENCY=${CONCURRENCY:-"1 8 64"}
SIGNERS=${SIGNERS:-"openssl go"}
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

say "go build ./cmd/mockidp ./load/peers/floor"
(cd "$root" && go build -o "$tmp/mockidp" ./cmd/mockidp && go build -o "$tmp/floor" ./load/peers/floor) || exit 1
"$tmp/mockidp" version

case " $SIGNERS " in
*" openssl "*)
	if ! "$tmp/mockidp" version | grep -q 'signer openssl'; then
		echo "compare.sh: the OpenSSL signer cannot be loaded here (mockidp version says which library it tried);" >&2
		echo "compare.sh: install libssl3 (libcrypto.so.3), or run SIGNERS=go $0 for the Go signer alone" >&2
		exit 2
	fi
	peer_signer=openssl # the peers' yardstick: node signs with OpenSSL
	;;
*) peer_signer=auto ;;
esac

results=$tmp/results.txt
: >"$results"
# bench LABEL SIGNER ARGS...: run mockidp bench, print everything, keep each result line
# with its details line, tagged with the signer ("-" for a peer, "floor" for the floor,
# which signs with OpenSSL) and tab-separated.
bench() {
	local label=$1 sig=$2
	shift 2
	say "$label: mockidp bench $*"
	"$tmp/mockidp" bench -q --duration "$DURATION" --warmup "$WARMUP" "$@" | tee "$tmp/out.txt"
	local rc=${PIPESTATUS[0]}
	if [ "$rc" != 0 ]; then
		echo "compare.sh: $label: exit status $rc"
		status=1
	fi
	awk -v sig="$sig" '
		/^(entra|oauth2-mock-server|saml-idp) / { if (line != "") print sig "\t" line "\t"; line = $0; next }
		/^    mean / && line != "" { print sig "\t" line "\t" $0; line = ""; next }
		END { if (line != "") print sig "\t" line "\t" }' "$tmp/out.txt" >>"$results"
}

start=$(date +%s)
for c in $CONCURRENCY; do
	for s in $SIGNERS; do
		bench "mock Entra ID, signer $s, c=$c" "$s" --protocol both --concurrency "$c" --signer "$s"
		if [ "$s" = openssl ]; then
			bench "floor (Go net/http, canned pages, OpenSSL signatures), c=$c" floor --flavor entra --protocol both --concurrency "$c" --signer openssl \
				--server-cmd "$tmp/floor --addr 127.0.0.1:{port} --signer openssl" --url "http://127.0.0.1:{port}"
		fi
	done
	if [ "$node_ok" = 1 ]; then
		bench "oauth2-mock-server, c=$c" - --flavor oauth2-mock-server --protocol oidc --concurrency "$c" --signer "$peer_signer" \
			--server-cmd "node $here/oauth2-mock-server.js {port}" --url "http://127.0.0.1:{port}"
	fi
	bench "saml-idp, c=$c" - --flavor saml-idp --protocol saml --concurrency "$c" --signer "$peer_signer" \
		--server-cmd "sh $here/saml-idp.sh {port} $tmp/keys" --url "http://127.0.0.1:{port}"
done
elapsed=$(($(date +%s) - start))

# A cross-check of OpenSSL's cost of one RSA-2048 signature from its own tool (user CPU time
# of `openssl speed`); the figures below divide by the costs bench measured.
ossl_per_s=$(openssl speed -mr -seconds 1 rsa2048 2>/dev/null | awk -F: '/^\+F2:/ {print $4; exit}')
speed_ms=$(awk -v n="${ossl_per_s:-0}" 'BEGIN { if (n > 0) printf "%.3f", 1000 / n; else print "" }')

say "SUMMARY (duration $DURATION per run after a $WARMUP warm-up; load runs took ${elapsed}s; $(nproc) CPUs, load average now $(cut -d' ' -f1-3 /proc/loadavg))"
awk -F'\t' -v speed="$speed_ms" -v concs="$CONCURRENCY" '
function field(line, re, skip,   v) {
	if (!match(line, re)) return ""
	v = substr(line, RSTART + skip, RLENGTH - skip)
	gsub(/ /, "", v)
	return v
}
function ratio(a, b) { return (a + 0 > 0 && b + 0 > 0) ? sprintf("%.2f×", a / b) : "n/a" }
{
	sig = $1; line = $2; det = $3
	split(line, w, " ")
	name = w[1]; proto = w[2]; c = w[3]; sub(/^c=/, "", c)
	if (sig == "floor") { name = "floor"; sig = "openssl" } # the floor speaks the entra flavor
	k = name SUBSEP sig SUBSEP proto SUBSEP c
	if (!(k in rate)) order[++n] = k
	rate[k] = field(line, "[0-9.]+/s", 0); sub(/\/s$/, "", rate[k])
	p50[k] = field(line, "p50 +[^ ]+", 4)
	p99[k] = field(line, "p99 +[^ ]+", 4)
	errs[k] = field(line, "errors [0-9]+", 7)
	cpu[k] = field(line, "server CPU [^ ]+", 11)
	sigs[k] = field(line, "sigs/sign-in [^ ]+", 13)
	cost[k] = field(line, "sign [0-9.]+ ms", 5); sub(/ms$/, "", cost[k])
	ov[k] = field(line, "overhead [^ ]+", 9)
	ccpu[k] = field(det, "client CPU [0-9.]+", 11)
	# OpenSSL signature cost per concurrency: the mock under --signer openssl measured it in
	# its bench; failing that, a peer bench (also --signer openssl).
	if ((sig == "openssl" && name == "entra") || (sig == "-" && !(c in ossl))) if (cost[k] + 0 > 0) ossl[c] = cost[k]
}
END {
	printf "%-18s %-7s %-4s %3s %9s %8s %8s %6s %10s %10s %5s %8s %9s %11s\n",
		"server", "signer", "prto", "c", "sign-in/s", "p50", "p99", "errors", "server CPU", "client CPU", "sigs", "sign ms", "overhead", "vs OpenSSL"
	for (i = 1; i <= n; i++) {
		k = order[i]; split(k, f, SUBSEP); c = f[4]
		signer = f[2] == "-" ? "(node)" : f[2]
		oc = (c in ossl) ? ossl[c] : speed
		vs = (cpu[k] != "n/a" && sigs[k] + 0 > 0 && oc + 0 > 0) ? sprintf("%.2f×", cpu[k] / (sigs[k] * oc)) : "n/a"
		printf "%-18s %-7s %-4s %3s %9s %8s %8s %6s %10s %10s %5s %8s %9s %11s\n",
			f[1], signer, f[3], c, rate[k], p50[k], p99[k], errs[k], cpu[k], ccpu[k], sigs[k], cost[k], ov[k], vs
	}
	print ""
	print "server CPU and client CPU: ms per sign-in. overhead: server CPU ÷ (sigs × the signature cost"
	print "bench measured with the server'"'"'s own signer, \"sign ms\"); vs OpenSSL: ÷ (sigs × OpenSSL'"'"'s cost"
	printf "measured in this run at the same concurrency). `openssl speed rsa2048`: %s ms per signature.\n", speed == "" ? "?" : speed
	print ""
	print "MOCK ÷ PEER, sign-ins per second at the same concurrency (issue 17: OIDC ≥ 2× oauth2-mock-server,"
	print "SAML ≥ 10× saml-idp, at c=8 and c=64, with the OpenSSL signer)"
	printf "%-5s %3s %-20s %9s %9s %8s %9s %8s  %s\n", "proto", "c", "peer", "peer/s", "openssl/s", "ratio", "go/s", "ratio", "target"
	nc = split(concs, cs, " ")
	for (pi = 1; pi <= 2; pi++) {
		proto = pi == 1 ? "oidc" : "saml"; peer = pi == 1 ? "oauth2-mock-server" : "saml-idp"; want = pi == 1 ? 2 : 10
		for (ci = 1; ci <= nc; ci++) {
			c = cs[ci]
			pk = peer SUBSEP "-" SUBSEP proto SUBSEP c
			ok = "entra" SUBSEP "openssl" SUBSEP proto SUBSEP c
			gk = "entra" SUBSEP "go" SUBSEP proto SUBSEP c
			if (!(pk in rate) && !(ok in rate) && !(gk in rate)) continue
			t = "-"
			if (c == 8 || c == 64) {
				t = sprintf("≥ %d×: ", want)
				t = t ((ok in rate && pk in rate && rate[pk] > 0 && rate[ok] / rate[pk] >= want) ? "met" : "NOT met")
			}
			printf "%-5s %3s %-20s %9s %9s %8s %9s %8s  %s\n", toupper(proto), c, peer,
				(pk in rate) ? rate[pk] : "-", (ok in rate) ? rate[ok] : "-", ratio(rate[ok], rate[pk]),
				(gk in rate) ? rate[gk] : "-", ratio(rate[gk], rate[pk]), t
		}
	}
	print ""
	print "MOCK SERVER CPU PER SIGN-IN ÷ (its signatures × OpenSSL'"'"'s signature cost measured in this run)"
	print "(issue 17: ≤ 1.3× with the OpenSSL signer)"
	print "(floor: the same sign-ins served by load/peers/floor with the OpenSSL signer, right after the mock)"
	printf "%-5s %3s %-7s %12s %5s %13s %8s  %-16s %9s %11s\n", "proto", "c", "signer", "CPU ms", "sigs", "OpenSSL ms", "ratio", "target", "floor ms", "floor ratio"
	for (pi = 1; pi <= 2; pi++) {
		proto = pi == 1 ? "oidc" : "saml"
		for (ci = 1; ci <= nc; ci++) {
			c = cs[ci]
			for (si = 1; si <= 2; si++) {
				sg = si == 1 ? "openssl" : "go"
				k = "entra" SUBSEP sg SUBSEP proto SUBSEP c
				if (!(k in rate) || cpu[k] == "n/a" || !(c in ossl)) continue
				r = cpu[k] / (sigs[k] * ossl[c])
				t = sg == "openssl" ? ("≤ 1.3×: " (r <= 1.3 ? "met" : "NOT met")) : sprintf("(÷ its own %s ms: %s)", cost[k], ov[k])
				fk = "floor" SUBSEP "openssl" SUBSEP proto SUBSEP c
				if (sg == "openssl" && (fk in rate) && cpu[fk] != "n/a" && sigs[fk] + 0 > 0) {
					printf "%-5s %3s %-7s %12s %5s %13s %8s  %-16s %9s %11s\n", toupper(proto), c, sg, cpu[k], sigs[k], ossl[c], sprintf("%.2f×", r), t, cpu[fk], sprintf("%.2f×", cpu[fk] / (sigs[fk] * ossl[c]))
				} else {
					printf "%-5s %3s %-7s %12s %5s %13s %8s  %s\n", toupper(proto), c, sg, cpu[k], sigs[k], ossl[c], sprintf("%.2f×", r), t
				}
			}
		}
	}
	# What the mock itself costs: its CPU per sign-in less the floor CPU, same signer, same
	# load, measured back to back.
	for (pi = 1; pi <= 2; pi++) {
		proto = pi == 1 ? "oidc" : "saml"
		line = ""
		for (ci = 1; ci <= nc; ci++) {
			c = cs[ci]
			k = "entra" SUBSEP "openssl" SUBSEP proto SUBSEP c
			fk = "floor" SUBSEP "openssl" SUBSEP proto SUBSEP c
			if (!(k in rate) || !(fk in rate)) continue
			if (cpu[k] == "n/a" || cpu[fk] == "n/a") continue
			line = line sprintf("  c=%s %.2f ms", c, cpu[k] - cpu[fk])
		}
		if (line != "") printf "mock CPU − floor CPU, %s (the mock'"'"'s own logic per sign-in, OpenSSL signer):%s\n", toupper(proto), line
	}
}' "$results"

say "NOTES"
cat <<EOF
- A sign-in is the whole flow by a fresh cookie jar over plain HTTP on loopback, no browser,
  through one keep-alive transport per run (no TLS, so no handshakes on either side);
  server CPU is utime+stime of the server process (all threads, and its children) from /proc
  across exactly the measured window, divided by the sign-ins completed in it. The load
  generator is the bench process itself, never counted as server CPU ("client CPU" is its
  own). Client and server share this machine's $(nproc) CPUs: at c=64 both are saturated and
  latency is queueing.
- The mock, per sign-in: SAML — GET /{tenant}/saml2 with a deflated AuthnRequest (parsed,
  app looked up by Issuer, ACS checked) → the sign-in page → POST email → POST password
  (checked) → the auto-posting page with a Response whose assertion is signed (1 signature);
  OIDC — GET authorize (client and redirect URI checked, PKCE challenge and nonce kept) →
  sign-in page → POST email → POST password → 302 with a code → POST token (client secret,
  redirect URI and PKCE verifier checked) → access token and ID token with the nonce (2
  signatures) and a refresh token. Each step is recorded in its sign-in log.
- "overhead" divides by the RSA-2048 signature cost bench measured with the signer the
  server uses (--signer openssl: libcrypto.so.3 through golang-fips/openssl; --signer go:
  crypto/rsa). The node peers sign with OpenSSL: their bench measures OpenSSL's cost, and
  "vs OpenSSL" divides every server's CPU by OpenSSL's cost measured at the same
  concurrency in this run — the yardstick of issue 17's ≤ 1.3× target.
- floor (load/peers/floor, a measuring stick, not a product): a Go net/http server that
  answers the same requests as the mock (3 per SAML sign-in, 4 per OIDC sign-in, keep-alive)
  with the mock's pages, cookies and sizes, and makes the same signatures with the OpenSSL
  signer (1 per SAML sign-in over a real SHA-256 digest of the assertion, 2 per OIDC sign-in
  over real base64url JWS inputs), and nothing else: canned pages and claims, state in the
  clear in ctx and the code, no store, no checks, no sign-in log, no XML canonicalisation.
  Its CPU is what any Go HTTP server pays on this wire; the mock's less the floor's is what
  the mock's own logic costs.
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

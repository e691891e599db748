package idp

import (
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	_ "embed" // jwks_others.pem
	"encoding/base64"
	"encoding/pem"
	"hash/fnv"
	"math/big"
	"sync"
)

// Entra's key sets hold 6–7 keys (samples/jwks-v2-common.json, jwks-v2-organizations.json):
// the keys of the whole cloud, of which one signs a given tenant's tokens, plus (in the
// common set) the keys of the personal-account (MSA) issuer. An RP that takes the first key
// instead of the one the token's kid names, or that trusts every key of the set for every
// issuer, works against a one-key set and fails (or is forgeable) in production. So the
// mock publishes, beside the tenant's own keys, these other keys.
//
// They are fixed certificates of real RSA-2048 keys, generated once and shipped here
// without their private keys: no token is ever signed with them, the server pays nothing
// for them at start (six RSA key generations would cost ~0.6 s), they are the same for
// every server and tenant — as Entra's shared key set is — and their thumbprints never
// collide with a tenant's key. Each PEM block's "Issuer" header says whether the key is
// published under the tenant's issuer ("entra") or the MSA tenant's ("msa"); the subjects
// and five-year validity copy Entra's (accounts.accesscontrol.windows.net,
// login.microsoftonline.us, "Live ID STS Signing Public Key").
//
//go:embed jwks_others.pem
var othersPEM []byte

// cloudInstanceName is the cloud_instance_name member of every key and discovery document
// of the global (public) cloud.
const cloudInstanceName = "microsoftonline.com"

// otherKey is one of the shipped keys, as a JWKS member without issuer.
type otherKey struct {
	jwk jwk
	msa bool // published under the MSA tenant's issuer (common and consumers sets only)
}

// otherKeys parses the shipped keys once per process; the PEM is part of the binary, so a
// parse error is a build defect, reported by TestJWKSOtherKeys.
var otherKeys = sync.OnceValue(func() []otherKey {
	var out []otherKey
	rest := othersPEM
	for {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			return out
		}
		cert, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			continue
		}
		rk, ok := cert.PublicKey.(*rsa.PublicKey)
		if !ok {
			continue
		}
		sum := sha1.Sum(cert.Raw)
		id := b64(sum[:])
		out = append(out, otherKey{msa: blk.Headers["Issuer"] == "msa", jwk: jwk{Kty: "RSA", Use: "sig", Kid: id, X5t: id,
			N: b64(rk.N.Bytes()), E: b64(big.NewInt(int64(rk.E)).Bytes()),
			X5c: []string{base64.StdEncoding.EncodeToString(cert.Raw)}, CloudInstanceName: cloudInstanceName}})
	}
})

// keySetScope says which keys a key set document publishes beside the tenants' own.
type keySetScope int

const (
	scopeTenant    keySetScope = iota // /{tenant}/…: the cloud's keys, the tenant's issuer
	scopeOrgs                         // /organizations/…: the cloud's keys, {tenantid}
	scopeCommon                       // /common/…: the cloud's keys and the MSA issuer's
	scopeConsumers                    // /consumers/…: the MSA issuer's keys only
	scopeSingle                       // the tenant's own keys only (a fault's one-key set)
)

// withOtherKeys places the tenants' own keys (own, in their order) among the shipped keys
// the scope publishes. The own keys go at a position derived from seed (the tenant ID), but
// never first: an RP that takes keys[0] without matching kid must fail here as it does
// against Entra, whose signing key is rarely the first. issuer is the issuer member of the
// Entra keys (v2; "" for v1), msaIssuer that of the MSA keys.
func withOtherKeys(own []jwk, scope keySetScope, seed, issuer, msaIssuer string) []jwk {
	var entra, msa []jwk
	for _, o := range otherKeys() {
		j := o.jwk
		switch {
		case o.msa && (scope == scopeCommon || scope == scopeConsumers):
			if issuer != "" {
				j.Issuer = msaIssuer
			}
			msa = append(msa, j)
		case !o.msa && scope != scopeConsumers && scope != scopeSingle:
			if issuer != "" {
				j.Issuer = issuer
			}
			entra = append(entra, j)
		}
	}
	// Entra's sets hold six keys under the tenant issuer (organizations, a tenant's) or five
	// and two MSA keys (common); the tenants' own keys (several tenants, a rotation overlap)
	// take the places of other keys, down to one other key.
	want := 6
	if scope == scopeCommon {
		want = 5
	}
	entra = entra[:min(len(entra), max(want-len(own), 1))]
	others := append(entra, msa...)
	if len(others) == 0 || scope == scopeSingle {
		return own
	}
	h := fnv.New32a()
	h.Write([]byte(seed))
	at := 1 + int(h.Sum32()%uint32(len(others)))
	out := make([]jwk, 0, len(own)+len(others))
	out = append(out, others[:at]...)
	out = append(out, own...)
	return append(out, others[at:]...)
}

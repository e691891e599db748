package idp_test

import (
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
)

// The tenant ID of personal Microsoft accounts, as issuer of the MSA keys of /common.
const msaTenantID = "9188040d-6c67-4c5b-b112-36a304b66dad"

// sampleJWKS reads a key set sample, skipping when the samples are not checked out.
func sampleJWKS(t *testing.T, name string) []json.RawMessage {
	t.Helper()
	b, err := os.ReadFile("../../shared/reference/samples/" + name)
	if err != nil {
		t.Skip("samples not available:", err)
	}
	var set struct{ Keys []json.RawMessage }
	if err := json.Unmarshal(b, &set); err != nil {
		t.Fatal(err)
	}
	return set.Keys
}

// TestJWKSMatchesSamples compares the key sets with Entra's (v2 common and organizations,
// v1 common of 2017): the number of keys, each key's members in Entra's order (with
// cloud_instance_name, which the samples' recorder deleted), consistent kid/x5t/n/e/x5c,
// the certificates' subjects, the issuer members, and one key — never the first — that
// signs the tenant's tokens.
func TestJWKSMatchesSamples(t *testing.T) {
	srv := startOIDC(t)
	signer := ""
	for _, k := range srv.OIDCKeys(contosoID) {
		if k.Active {
			sum := sha1.Sum(k.Cert.Raw)
			signer = base64.RawURLEncoding.EncodeToString(sum[:])
		}
	}
	subjects := map[string]bool{"accounts.accesscontrol.windows.net": true, "login.microsoftonline.us": true, "Live ID STS Signing Public Key": true}
	for _, c := range []struct {
		path, sample string
		v2           bool
		msaKeys      int // keys under the MSA issuer, as in the sample
	}{
		{"/common/discovery/v2.0/keys", "jwks-v2-common.json", true, 2},
		{"/organizations/discovery/v2.0/keys", "jwks-v2-organizations.json", true, 0},
		{"/" + contosoID + "/discovery/v2.0/keys", "jwks-v2-organizations.json", true, 0},
		{"/common/discovery/keys", "jwks-aad-common-v1-2017.json", false, 0},
		{"/" + contosoID + "/discovery/keys", "jwks-aad-common-v1-2017.json", false, 0},
	} {
		sample := sampleJWKS(t, c.sample)
		_, body := get(t, srv, c.path)
		var got struct{ Keys []json.RawMessage }
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatalf("%s: %v\n%s", c.path, err, body)
		}
		if c.v2 && len(got.Keys) != len(sample) {
			t.Errorf("%s: %d keys, Entra's %s has %d", c.path, len(got.Keys), c.sample, len(sample))
		}
		if !c.v2 && len(got.Keys) < 2 {
			t.Errorf("%s: %d keys, Entra publishes several", c.path, len(got.Keys))
		}
		// Entra's member order, with cloud_instance_name after x5c (before issuer).
		want := memberOrder(t, sample[0])
		if i := slices.Index(want, "x5c"); i >= 0 {
			want = slices.Insert(want, i+1, "cloud_instance_name")
		}
		signers, msa := 0, 0
		for i, raw := range got.Keys {
			if order := memberOrder(t, raw); !slices.Equal(order, want) {
				t.Errorf("%s key %d: members %v, want %v", c.path, i, order, want)
			}
			var k struct {
				Kty, Use, Kid, X5t, N, E, Issuer string
				X5c                              []string
				Cloud                            string `json:"cloud_instance_name"`
			}
			_ = json.Unmarshal(raw, &k)
			der, _ := base64.StdEncoding.DecodeString(k.X5c[0])
			cert, err := x509.ParseCertificate(der)
			if err != nil {
				t.Fatalf("%s key %d: %v", c.path, i, err)
			}
			sum := sha1.Sum(der)
			pub := cert.PublicKey.(*rsa.PublicKey)
			if k.Kid != base64.RawURLEncoding.EncodeToString(sum[:]) || k.X5t != k.Kid || k.Kty != "RSA" || k.Use != "sig" ||
				k.N != base64.RawURLEncoding.EncodeToString(pub.N.Bytes()) || k.E != base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()) ||
				k.Cloud != "microsoftonline.com" || !subjects[cert.Subject.CommonName] {
				t.Errorf("%s key %d inconsistent or unlike Entra's: %s (CN %q)", c.path, i, raw, cert.Subject.CommonName)
			}
			if k.Kid == signer {
				signers++
				if i == 0 {
					t.Errorf("%s: the tenant's signing key is the first key; an RP taking keys[0] would pass", c.path)
				}
			}
			wantIss := ""
			if c.v2 {
				wantIss = srv.URL + "/{tenantid}/v2.0"
				if strings.HasPrefix(c.path, "/"+contosoID) {
					wantIss = srv.URL + "/" + contosoID + "/v2.0"
				}
			}
			if k.Issuer == srv.URL+"/"+msaTenantID+"/v2.0" {
				msa++
				if cert.Subject.CommonName != "Live ID STS Signing Public Key" {
					t.Errorf("%s key %d: MSA issuer on a %q key", c.path, i, cert.Subject.CommonName)
				}
			} else if k.Issuer != wantIss {
				t.Errorf("%s key %d: issuer %q, want %q", c.path, i, k.Issuer, wantIss)
			}
		}
		if signers != 1 || msa != c.msaKeys {
			t.Errorf("%s: %d signing keys of the tenant (want 1), %d MSA keys (want %d)", c.path, signers, msa, c.msaKeys)
		}
	}
	// The set is the same on every fetch (stable for the server's life).
	_, a := get(t, srv, "/organizations/discovery/v2.0/keys")
	_, b := get(t, srv, "/organizations/discovery/v2.0/keys")
	if string(a) != string(b) {
		t.Error("the key set changed between two fetches")
	}
}

// TestJWKSFirstKeyFails: an RP that verifies the ID token with the first key of the set,
// without matching kid, fails here as it does against Entra; one that matches kid (and
// go-oidc's RemoteKeySet, a real client) succeeds.
func TestJWKSFirstKeyFails(t *testing.T) {
	srv := startOIDC(t)
	c := oidcBrowser(srv)
	q := url.Values{"client_id": {webAppID}, "response_type": {"id_token"}, "redirect_uri": {webRedir},
		"scope": {"openid"}, "nonce": {"n-1"}, "state": {"s-1"}, "response_mode": {"fragment"}}
	res := oidcAuthorize(t, c, srv, srv.URL+"/"+contosoID+"/oauth2/v2.0/authorize?"+q.Encode(), bSimon)
	raw := res.params().Get("id_token")
	if raw == "" {
		t.Fatalf("no id_token: %v %s", res.location, oidcTrunc(res.body))
	}
	_, body := get(t, srv, "/"+contosoID+"/discovery/v2.0/keys")
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(body, &set); err != nil || len(set.Keys) < 2 {
		t.Fatalf("key set: %v (%d keys)", err, len(set.Keys))
	}
	jws, err := jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jws.Verify(set.Keys[0].Key); err == nil {
		t.Error("the ID token verifies with the first key of the set: an RP ignoring kid would pass here and fail against Entra")
	}
	byKid := set.Key(jws.Signatures[0].Header.KeyID)
	if len(byKid) != 1 {
		t.Fatalf("kid %q names %d keys", jws.Signatures[0].Header.KeyID, len(byKid))
	}
	if _, err := jws.Verify(byKid[0].Key); err != nil {
		t.Errorf("the key the kid names does not verify the token: %v", err)
	}
	ctx := oidcRPContext(c)
	ks := oidc.NewRemoteKeySet(ctx, srv.URL+"/"+contosoID+"/discovery/v2.0/keys")
	if _, err := ks.VerifySignature(ctx, raw); err != nil {
		t.Errorf("go-oidc RemoteKeySet: %v", err)
	}
}

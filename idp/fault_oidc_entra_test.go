package idp_test

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/ssoharness/ssoharness/idp"
)

// jwtHeaderOf decodes a compact JWS's header.
func jwtHeaderOf(t *testing.T, tok string) map[string]any {
	t.Helper()
	seg, _, _ := strings.Cut(tok, ".")
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]any
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Fatal(err)
	}
	return h
}

// TestHeaderKeyFaultsServeTheAttackerKey: the jku and x5u a header names are served, hold
// the key the token really verifies with, and a fetch is logged as part of the sign-in with
// the fault.
func TestHeaderKeyFaultsServeTheAttackerKey(t *testing.T) {
	for _, id := range []idp.FaultID{"oidc.header.jku", "oidc.header.x5u"} {
		t.Run(string(id), func(t *testing.T) {
			r := newFaultRig(t)
			_, tokens, _ := r.oidcSignIn(t, r.context(t, id))
			tok := tokens["id_token"].(string)
			h := jwtHeaderOf(t, tok)
			u, _ := h[map[idp.FaultID]string{"oidc.header.jku": "jku", "oidc.header.x5u": "x5u"}[id]].(string)
			if !strings.HasPrefix(u, r.srv.URL+"/_mockidp/attacker/") {
				t.Fatalf("header %v names no attacker URL on the mock", h)
			}
			resp, err := http.Get(u)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("GET %s: %d", u, resp.StatusCode)
			}
			jws, err := jose.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256})
			if err != nil {
				t.Fatal(err)
			}
			var verifyKey any
			if id == "oidc.header.jku" {
				var set jose.JSONWebKeySet
				if err := json.Unmarshal(body, &set); err != nil || len(set.Keys) != 1 {
					t.Fatalf("key set %s: %v", body, err)
				}
				verifyKey = set.Keys[0].Key
			} else {
				b, _ := pem.Decode(body)
				if b == nil {
					t.Fatalf("no PEM at %s: %s", u, body)
				}
				cert, err := x509.ParseCertificate(b.Bytes)
				if err != nil {
					t.Fatal(err)
				}
				verifyKey = cert.PublicKey
			}
			if _, err := jws.Verify(verifyKey); err != nil {
				t.Fatalf("the served key does not verify the token: %v", err)
			}
			var corr string
			fetched := false
			for _, e := range r.srv.Events() {
				if e.Kind == idp.EventAuthorize && e.Fault != nil {
					corr = e.CorrelationID
				}
				if e.Kind == idp.EventKeys && e.Fault != nil && e.Fault.ID == id {
					fetched = e.CorrelationID == corr && corr != ""
				}
			}
			if !fetched {
				t.Errorf("the fetch of %s is not logged with the sign-in's correlation ID and the fault", u)
			}
		})
	}
}

// TestKeyIssuerFaultPublishesConsumerIssuer: the key that signs oidc.jwks.key-issuer-mismatch
// is in the tenant's v2 key set with the consumer tenant's issuer, and leaves it on disarm.
func TestKeyIssuerFaultPublishesConsumerIssuer(t *testing.T) {
	r := newFaultRig(t)
	b := r.context(t, "oidc.jwks.key-issuer-mismatch")
	_, tokens, _ := r.oidcSignIn(t, b)
	kid, _ := jwtHeaderOf(t, tokens["id_token"].(string))["kid"].(string)
	keys := func() map[string]string {
		resp, err := http.Get(r.srv.URL + "/" + r.tenant.ID + "/discovery/v2.0/keys")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var set struct {
			Keys []struct{ Kid, Issuer string }
		}
		if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, k := range set.Keys {
			out[k.Kid] = k.Issuer
		}
		return out
	}
	if iss := keys()[kid]; !strings.HasSuffix(iss, "/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0") {
		t.Errorf("the signing key %s has issuer %q in the JWKS, want the consumer tenant's", kid, iss)
	}
	r.srv.DisarmAll()
	if _, ok := keys()[kid]; ok {
		t.Errorf("the key stays published after the fault is disarmed")
	}
}

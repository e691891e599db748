package idp_test

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
)

// fidCollapseKeys leaves one KeyDescriptor of each run: how many keys a document lists is
// the tenant's state (the 2026 common capture lists 4, the 2021 tenant one 1, ours the
// tenant's published token-signing keys), not its structure.
func fidCollapseKeys(n *fidNode) {
	n.walk(func(e *fidNode) {
		var kids []*fidNode
		for i, k := range e.Kids {
			if i > 0 && strings.HasSuffix(k.Name, "}KeyDescriptor") && strings.HasSuffix(e.Kids[i-1].Name, "}KeyDescriptor") {
				continue
			}
			kids = append(kids, k)
		}
		e.Kids = kids
	})
}

// fidDropSignatureDS drops an xmlns:ds declaration inside the document's Signature: Entra
// re-declares the dsig namespace with a ds prefix at varying places (the 2026 common
// capture on Signature/KeyInfo, the 2024 app capture on its X509Data, the 2017 common and
// 2021 tenant captures nowhere), binding the namespace the Signature's default already
// binds. Same elements, same namespace; ours declares it once, as 2017 and 2021 do.
func fidDropSignatureDS(n *fidNode) {
	if len(n.Kids) == 0 || !strings.HasSuffix(n.Kids[0].Name, "}Signature") {
		return
	}
	n.Kids[0].walk(func(e *fidNode) {
		e.NSDecls = slices.DeleteFunc(e.NSDecls, func(d string) bool { return d == "xmlns:ds" })
	})
}

// fidSameLines counts the capture's element lines (name, attributes, namespace
// declarations) that ours has too, each line of ours used once: the raw figure, before any
// normalisation.
func fidSameLines(ours, theirs string) (same, total int) {
	have := map[string]int{}
	for _, l := range strings.Split(ours, "\n") {
		have[strings.TrimSpace(l)]++
	}
	for _, l := range strings.Split(strings.TrimSuffix(theirs, "\n"), "\n") {
		total++
		if l = strings.TrimSpace(l); have[l] > 0 {
			have[l]--
			same++
		}
	}
	return same, total
}

// getMetadata fetches a federation metadata document and checks what every one has: 200,
// the XML content type, the UTF-8 BOM.
func getMetadata(t *testing.T, srv *idp.Server, path string) []byte {
	t.Helper()
	resp, err := srv.Client().Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/xml") ||
		!bytes.HasPrefix(b, []byte("\xEF\xBB\xBF<?xml")) {
		t.Fatalf("GET %s: %d %s %.300q", path, resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	return b
}

// TestFidelityTenantAndCommonMetadata compares the tenant's federation metadata (no appid)
// and the /common and /organizations documents with the Entra captures, element path by
// element path, then checks their values: entity ID, endpoints, the keys (the tenant's
// token-signing keys, as its JWKS publishes them) and the signature.
func TestFidelityTenantAndCommonMetadata(t *testing.T) {
	srv := idptest.Start(t)
	tenant := srv.Config().Tenants[0]
	tid := tenant.ID
	var keys []*x509.Certificate
	var signer *x509.Certificate
	for _, k := range srv.OIDCKeys(tid) {
		if k.Published {
			keys = append(keys, k.Cert)
		}
		if k.Active {
			signer = k.Cert
		}
	}
	for _, tc := range []struct {
		name, path, sample, entityID, seg string
	}{
		{"tenant", "/" + tid + "/federationmetadata/2007-06/federationmetadata.xml", "federationmetadata-tenant-2021-certs-replaced.xml", "https://sts.windows.net/" + tid + "/", tid},
		{"tenant by domain, portal spelling", "/" + tenant.VerifiedDomains[0] + "/FederationMetadata/2007-06/FederationMetadata.xml", "federationmetadata-tenant-2021-certs-replaced.xml", "https://sts.windows.net/" + tid + "/", tid},
		{"common", "/common/federationmetadata/2007-06/federationmetadata.xml", "federationmetadata-common-2026.xml", "https://sts.windows.net/{tenantid}/", "common"},
		{"common 2017", "/common/FederationMetadata/2007-06/FederationMetadata.xml", "federationmetadata-common-2017.xml", "https://sts.windows.net/{tenantid}/", "common"},
		{"organizations", "/organizations/federationmetadata/2007-06/federationmetadata.xml", "federationmetadata-common-2026.xml", "https://sts.windows.net/{tenantid}/", "organizations"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := getMetadata(t, srv, tc.path)
			ours, theirs := fidParse(t, doc), fidParse(t, fidSample(t, tc.sample))
			same, total := fidSameLines(ours.String(true), theirs.String(true))
			fidCollapseKeys(ours)
			fidCollapseKeys(theirs)
			fidDropSignatureDS(ours)
			fidDropSignatureDS(theirs)
			o, th := ours.String(true), theirs.String(true)
			fidDiff(t, tc.name+" metadata", o, th)
			if o == th {
				n := strings.Count(th, "\n")
				t.Logf("%s vs %s: %d/%d element lines identical (KeyDescriptor runs collapsed); raw %d/%d", tc.path, tc.sample, n, n, same, total)
			}

			x := etree.NewDocument()
			if err := x.ReadFromBytes(bytes.TrimPrefix(doc, []byte("\xEF\xBB\xBF"))); err != nil {
				t.Fatal(err)
			}
			ed := x.Root()
			if got := ed.SelectAttrValue("entityID", ""); got != tc.entityID {
				t.Errorf("entityID %q, want %q", got, tc.entityID)
			}
			base := srv.URL + "/" + tc.seg
			for _, a := range ed.FindElements("//Address") {
				want := base + "/wsfed"
				if a.Parent().Parent().Tag == "TargetScopes" {
					want = tc.entityID
				}
				if a.Text() != want {
					t.Errorf("%s Address %q, want %q", a.Parent().Parent().Tag, a.Text(), want)
				}
			}
			for _, e := range ed.FindElements("./IDPSSODescriptor/*[@Location]") {
				if e.SelectAttrValue("Location", "") != base+"/saml2" {
					t.Errorf("%s Location %q", e.Tag, e.SelectAttrValue("Location", ""))
				}
			}
			// Every role lists the tenant's published token-signing keys, in order.
			for _, role := range ed.ChildElements()[1:] {
				var got []string
				for _, c := range role.FindElements("./KeyDescriptor/KeyInfo/X509Data/X509Certificate") {
					got = append(got, c.Text())
				}
				var want []string
				for _, c := range keys {
					want = append(want, base64.StdEncoding.EncodeToString(c.Raw))
				}
				if strings.Join(got, " ") != strings.Join(want, " ") {
					t.Errorf("%s lists %d certificates, not the tenant's %d token-signing keys", role.Tag, len(got), len(want))
				}
			}
			goldenVerify(t, ed, signer, time.Now())
		})
	}

	// An unknown tenant is Entra's error page, not a document (and never a 500).
	resp, err := srv.Client().Get(srv.URL + "/nosuchtenant.example/federationmetadata/2007-06/federationmetadata.xml")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode >= 500 || resp.StatusCode == 200 || !bytes.Contains(b, []byte("AADSTS")) {
		t.Errorf("unknown tenant: %d %.200s", resp.StatusCode, b)
	}
}

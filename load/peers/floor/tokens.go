package main

import (
	"encoding/base64"
	"encoding/json"
	"html"
	"net/http"
	"strconv"
	"strings"
)

// The SAMLResponse, as the mock wrote it for one bench sign-in, cut where the request's ID
// (InResponseTo), the assertion's signature and its digest go. The assertion's digest is
// SHA-256 over assertionHead + assertionSubject + ID + assertionTail as written (the mock
// canonicalises first).
const (
	respHead         = `<samlp:Response ID="_6f3a4877-4980-4f2f-a905-a59cff8fca77" Version="2.0" IssueInstant="2026-12-03T20:05:06.804Z" Destination="https://sp.example.test/saml/acs" InResponseTo="`
	respIRT          = `" xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">https://sts.windows.net/3f8e2a10-5b7c-4d2e-9a61-0c4b8e7d2f15/</Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>`
	assertionHead    = `<Assertion ID="_750ea8ce-56b4-4411-9b16-b5e1cf74d2e0" IssueInstant="2026-12-03T20:05:06.804Z" Version="2.0" xmlns="urn:oasis:names:tc:SAML:2.0:assertion"><Issuer>https://sts.windows.net/3f8e2a10-5b7c-4d2e-9a61-0c4b8e7d2f15/</Issuer>`
	assertionSubject = `<Subject><NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">B.Simon@contoso.com</NameID><SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><SubjectConfirmationData InResponseTo="`
	assertionTail    = `" NotOnOrAfter="2026-12-03T20:10:06.804Z" Recipient="https://sp.example.test/saml/acs"/></SubjectConfirmation></Subject><Conditions NotBefore="2026-12-03T20:00:06.804Z" NotOnOrAfter="2026-12-03T21:00:06.804Z"><AudienceRestriction><Audience>https://sp.example.test/saml/metadata</Audience></AudienceRestriction></Conditions><AttributeStatement><Attribute Name="http://schemas.microsoft.com/identity/claims/tenantid"><AttributeValue>3f8e2a10-5b7c-4d2e-9a61-0c4b8e7d2f15</AttributeValue></Attribute><Attribute Name="http://schemas.microsoft.com/identity/claims/objectidentifier"><AttributeValue>0c5d8a2e-1f3b-4a6c-9d7e-8b2a1c3d4e5f</AttributeValue></Attribute><Attribute Name="http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"><AttributeValue>B.Simon@contoso.com</AttributeValue></Attribute><Attribute Name="http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname"><AttributeValue>Simon</AttributeValue></Attribute><Attribute Name="http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"><AttributeValue>B</AttributeValue></Attribute><Attribute Name="http://schemas.microsoft.com/identity/claims/displayname"><AttributeValue>B.Simon</AttributeValue></Attribute><Attribute Name="http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"><AttributeValue>B.Simon@contoso.com</AttributeValue></Attribute><Attribute Name="http://schemas.microsoft.com/identity/claims/identityprovider"><AttributeValue>https://sts.windows.net/3f8e2a10-5b7c-4d2e-9a61-0c4b8e7d2f15/</AttributeValue></Attribute><Attribute Name="http://schemas.microsoft.com/claims/authnmethodsreferences"><AttributeValue>http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password</AttributeValue></Attribute></AttributeStatement><AuthnStatement AuthnInstant="2026-12-03T20:05:06.804Z" SessionIndex="_750ea8ce-56b4-4411-9b16-b5e1cf74d2e0"><AuthnContext><AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password</AuthnContextClassRef></AuthnContext></AuthnStatement></Assertion>`
	signedInfoHead   = `<SignedInfo><CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><Reference URI="#_750ea8ce-56b4-4411-9b16-b5e1cf74d2e0"><Transforms><Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></Transforms><DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue>`
	signedInfoTail   = `</DigestValue></Reference></SignedInfo>`
	keyInfo          = `<KeyInfo><X509Data><X509Certificate>MIIC8DCCAdigAwIBAgIQE1hdCmVTTx2ch8jHeu80yTANBgkqhkiG9w0BAQsFADA0MTIwMAYDVQQDEylNaWNyb3NvZnQgQXp1cmUgRmVkZXJhdGVkIFNTTyBDZXJ0aWZpY2F0ZTAeFw0yNjEyMDMyMDA0MDZaFw0yOTEyMDMyMDA1MDZaMDQxMjAwBgNVBAMTKU1pY3Jvc29mdCBBenVyZSBGZWRlcmF0ZWQgU1NPIENlcnRpZmljYXRlMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAuHCLvEwGBWtznLWELfRQPObdhoySBV23ao8tYtFhs/ge1lBT+StzhFrpJX0H6PDpXcq7mT2Bh+tjoUi2CMyLjQ/i84iYnOOIIHCfR+cXhRwjQjSaAoC+bJC+KTswhicDUug79XKlX7eekRUKUhSb6mBBFTXxN3U6MXjHAf6xTxBG/kD+OnAxkxURXGt//k43gI4bkVSibZrY7u3EkEQJFRDhEOfoMLWTCE5q7S3Wy8ndGvXyWtzHq2TBFgG0dayyLzJjjr9WQcbV/GVF3kttKPDMrdkSaD0ucfJ+5pXt98qEoPkV+ivqfZehBLp21MSV7BFslhUUxns+8aW4qDjfHwIDAQABMA0GCSqGSIb3DQEBCwUAA4IBAQAGIjivPlm4bgyKHNqcLQ/mgLT8fic1WV+fcwAJ+uZ/fEGAY5yF6RJlfHgsvunMI5799jgMAVlIi1AraeLa0YX5UTmfXh7d/OhHmUxHvnuBJdjRdS1GzpBaMIB7siPJXKHVfW3o4yhke0WcDmDTg7YQqGKPTSm8zru+mWS72TaupV9g5Xosfrq7/hCqbsjrzz12Qk5/i0BZekLxexopjc+G3tjrhpH+O2cXkh/9M3Mcys9rVjloLJ6oRTu/CN7d08/vwTxXZTzDD0GpNiVhIS+CcZ7vxNKVPZ9EfZJtkyWtSO7SucJAQVJyaeHpnSijQ7bLMTpPTENsgbQV3J3V7s3z</X509Certificate></X509Data></KeyInfo>`
	respTail         = `</samlp:Response>`
)

// The ID token and the access token, as the mock issued them for one bench sign-in: the
// headers whole, the payloads cut where the nonce (ID token) and a per-token uti (access
// token) go.
const (
	idHeader      = `{"alg":"RS256","kid":"1Lri8L50IpdeGv5hD08N8u-eyzQ","typ":"JWT"}`
	idPayloadHead = `{"aud":"6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b","iss":"http://127.0.0.1/3f8e2a10-5b7c-4d2e-9a61-0c4b8e7d2f15/v2.0","iat":1796328006,"nbf":1796328006,"exp":1796331906,"aio":"R_4vrlgGzi2UzR921PyyPEpZkSocxPle0bNHwThKuN5gStakOEHa9u6E21hG3oPf","email":"B.Simon@contoso.com","groups":["6a1d4e2b-8c3f-4b5a-9e7d-1f2a3b4c5d6e","7b2e5f3c-9d4a-4c6b-8f1e-2a3b4c5d6e7f"],"login_hint":"O.eyJvaWQiOiIwYzVkOGEyZS0xZjNiLTRhNmMtOWQ3ZS04YjJhMWMzZDRlNWYiLCJ0aWQiOiIzZjhlMmExMC01YjdjLTRkMmUtOWE2MS0wYzRiOGU3ZDJmMTUiLCJ1cG4iOiJCLlNpbW9uQGNvbnRvc28uY29tIn0","name":"B.Simon","nonce":`
	idPayloadTail = `,"oid":"0c5d8a2e-1f3b-4a6c-9d7e-8b2a1c3d4e5f","preferred_username":"B.Simon@contoso.com","rh":"0.AEfl2m9K4hb-Y3FTlSacVgFxJt_ZiFQQQPmh3Ed0k4diCO9BP.","sid":"ec55ecbe-da94-4fd3-a609-6218bef21d33","sub":"luZCGWNK1ewbgxu1jB8ILeUu5TsHyvHTZdTejeZC4vM","tid":"3f8e2a10-5b7c-4d2e-9a61-0c4b8e7d2f15","uti":"Ez97xO2MPukVbCBUbDj2qA","ver":"2.0"}`
	atHeader      = `{"alg":"RS256","kid":"1Lri8L50IpdeGv5hD08N8u-eyzQ","typ":"JWT","x5t":"1Lri8L50IpdeGv5hD08N8u-eyzQ"}`
	atPayloadHead = `{"aud":"00000003-0000-0000-c000-000000000000","iss":"https://sts.windows.net/3f8e2a10-5b7c-4d2e-9a61-0c4b8e7d2f15/","iat":1796328006,"nbf":1796328006,"exp":1796332806,"acr":"1","aio":"6jCXiMDMsi0NZnpD9au4Qb0dY3lEZc--wIet7vyuUByZZ2EHIorU63KcWka_Zc7f","amr":["pwd"],"app_displayname":"Contoso OIDC Web","appid":"6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b","appidacr":"1","family_name":"Simon","given_name":"B","idtyp":"user","name":"B.Simon","oid":"0c5d8a2e-1f3b-4a6c-9d7e-8b2a1c3d4e5f","rh":"0.A_BHDX6qnzhRegcMjLhZLTSR3tJ1MRZ6c1kg1RSPO-kNSqpLz.","scp":"User.Read","sub":"9I1hyRW3E8E2S-rgh1Lws5mYGJYgB9k-PTBeLLFqMWk","tid":"3f8e2a10-5b7c-4d2e-9a61-0c4b8e7d2f15","unique_name":"B.Simon@contoso.com","upn":"B.Simon@contoso.com","uti":"`
	atPayloadTail = `","ver":"1.0"}`
	tokenHead     = `{"token_type":"Bearer","scope":"User.Read openid profile email","expires_in":4499,"ext_expires_in":4499,"access_token":"`
	tokenMiddle   = `","id_token":"`
	tokenTail     = `"}`
	signatureOpen = `<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">`
)

// The tokens' headers, base64url once.
var (
	idHeader64 = base64.RawURLEncoding.EncodeToString([]byte(idHeader))
	atHeader64 = base64.RawURLEncoding.EncodeToString([]byte(atHeader))
)

// xmlAttr escapes s for an XML attribute (a bench ID needs none).
func xmlAttr(s string) string {
	if !strings.ContainsAny(s, "<>&\"'") {
		return s
	}
	return html.EscapeString(s)
}

// samlResponse signs the canned assertion for the request id and writes the auto-posting
// page with it and the RelayState.
func (f *floor) samlResponse(w http.ResponseWriter, id, relay string) {
	id = xmlAttr(id)
	doc := f.buffer()
	b := doc.AvailableBuffer()
	// The assertion without its signature: the digest's input.
	b = append(b, assertionHead...)
	b = append(b, assertionSubject...)
	b = append(b, id...)
	b = append(b, assertionTail...)
	digest := sha256Sum(b)
	si := make([]byte, 0, len(signedInfoHead)+64+len(signedInfoTail))
	si = append(si, signedInfoHead...)
	si = base64.StdEncoding.AppendEncode(si, digest[:])
	si = append(si, signedInfoTail...)
	sig, err := f.signSHA256(si)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	x := make([]byte, 0, 6<<10)
	x = append(x, respHead...)
	x = append(x, id...)
	x = append(x, respIRT...)
	x = append(x, assertionHead...)
	x = append(x, signatureOpen...)
	x = append(x, si...)
	x = append(x, "<SignatureValue>"...)
	x = base64.StdEncoding.AppendEncode(x, sig)
	x = append(x, "</SignatureValue>"...)
	x = append(x, keyInfo...)
	x = append(x, "</Signature>"...)
	x = append(x, assertionSubject...)
	x = append(x, id...)
	x = append(x, assertionTail...)
	x = append(x, respTail...)
	doc.Reset()
	doc.WriteString(postHead)
	doc.Write(base64.StdEncoding.AppendEncode(doc.AvailableBuffer(), x))
	doc.WriteString(postRelay)
	doc.WriteString(html.EscapeString(relay))
	doc.WriteString(postTail)
	f.page(w, doc, hdrCookieAuth)
}

// redirectWithCode ends an OIDC sign-in: a 302 to the redirect URI with a code carrying the
// nonce (unsealed) and the state.
func (f *floor) redirectWithCode(w http.ResponseWriter, state, nonce string) {
	loc := make([]byte, 0, 1200)
	loc = append(loc, "http://localhost:8080/signin-oidc?code=1."...)
	start := len(loc)
	loc = base64.RawURLEncoding.AppendEncode(loc, []byte(nonce))
	loc = append(loc, '.')
	if n := codeSize - (len(loc) - start); n > 0 {
		loc = append(loc, filler[:min(n, len(filler))]...)
	}
	loc = append(loc, "&session_state=ec55ecbe-da94-4fd3-a609-6218bef21d33&state="...)
	loc = appendQueryEscape(loc, state)
	h := w.Header()
	h["Cache-Control"] = hdrNoStore
	h["Location"] = []string{string(loc)}
	h["Set-Cookie"] = hdrCookieAuth
	h["X-Ms-Ests-Server"] = hdrServer
	h["X-Ms-Request-Id"] = hdrRequestID
	w.WriteHeader(http.StatusFound)
}

// token turns a code into a signed access token and ID token (the nonce from the code);
// nothing is checked.
func (f *floor) token(w http.ResponseWriter, r *http.Request) {
	code := strings.TrimPrefix(r.PostFormValue("code"), "1.")
	nonce := ""
	if i := strings.IndexByte(code, '.'); i >= 0 {
		if b, err := base64.RawURLEncoding.DecodeString(code[:i]); err == nil {
			nonce = string(b)
		}
	}
	buf := f.buffer()
	b := append(buf.AvailableBuffer(), tokenHead...)
	var err error
	uti := strconv.AppendUint(make([]byte, 0, 24), f.uti.Add(1), 36)
	if b, err = f.appendJWS(b, atHeader64, atPayloadHead, string(uti), atPayloadTail, false); err == nil {
		b = append(b, tokenMiddle...)
		b, err = f.appendJWS(b, idHeader64, idPayloadHead, nonce, idPayloadTail, true)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	b = append(b, tokenTail...)
	buf.Write(b)
	h := w.Header()
	h["Cache-Control"] = hdrNoStore
	h["Content-Type"] = hdrJSON
	h["Expires"] = hdrExpires
	h["Pragma"] = hdrNoCache
	h["X-Content-Type-Options"] = hdrNoSniff
	h["X-Ms-Ests-Server"] = hdrServer
	h["X-Ms-Request-Id"] = hdrRequestID
	w.Write(buf.Bytes())
	f.bufs.Put(buf)
}

// appendJWS appends header64 . base64url(head + value + tail) . signature to dst; quote
// makes value a JSON string (the nonce), else it is written as it is (inside quotes of
// head and tail).
func (f *floor) appendJWS(dst []byte, header64, head, value, tail string, quote bool) ([]byte, error) {
	p := make([]byte, 0, len(head)+len(value)+len(tail)+8)
	p = append(p, head...)
	if quote {
		q, _ := json.Marshal(value)
		p = append(p, q...)
	} else {
		p = append(p, value...)
	}
	p = append(p, tail...)
	start := len(dst)
	dst = append(dst, header64...)
	dst = append(dst, '.')
	dst = base64.RawURLEncoding.AppendEncode(dst, p)
	sig, err := f.signSHA256(dst[start:])
	if err != nil {
		return dst, err
	}
	dst = append(dst, '.')
	return base64.RawURLEncoding.AppendEncode(dst, sig), nil
}

// appendQueryEscape appends s escaped for a query value.
func appendQueryEscape(dst []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			dst = append(dst, c)
			continue
		}
		dst = append(dst, '%', hex[c>>4], hex[c&15])
	}
	return dst
}

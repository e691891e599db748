package idp

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// TestSealBinaryFlow: a flow sealed in the binary form opens to what its JSON form opens to
// (every field, an Event's Fault and Truncated included), and every shortened plaintext is
// refused rather than misread.
func TestSealBinaryFlow(t *testing.T) {
	ev := Event{ID: "r1", CorrelationID: "c1", Context: "ctx", Time: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC),
		TenantID: "t", AppID: "a", AppName: "App", UserID: "u", UserPrincipalName: "upn", Protocol: "SAML",
		Kind: EventAuthnRequest, Binding: "b", Request: map[string]string{"XML": "<x a=\"1\"/>", "ID": "_1"},
		Response: map[string]string{"k": "v"}, Status: "s", ErrorCode: -50058, FailureReason: "f", Detail: "d",
		Fault: &MintedFault{ID: "f1", Step: 2, Token: "tok", Changed: []string{"x"}}, Truncated: map[string]int{"appId": 9}}
	flows := []flowHandle{
		{ID: "1", TenantID: "t", AppName: "n", AppID: "a", LoginHint: "h", Correlation: "c", Created: time.Unix(1e9, 5).UTC(),
			Browser: "b", Resume: flowResume{SAML: &samlResume{TenantID: "t", AppID: "a", RequestID: "r", ACS: "acs",
				RelayState: "rs", NameIDFormat: "f", Audience: "aud", Event: ev}}},
		{ID: "2", Created: time.Unix(1e9, 0).In(time.FixedZone("", 3600)), Resume: flowResume{OIDC: &authzResume{AppID: "a",
			AppTenant: "at", PathTenant: "pt", RedirectURI: "ru", Mode: "query", State: "st", Platform: "web", ResponseType: "code",
			Scopes: []string{"openid", "profile"}, Nonce: "n", Challenge: "cc", Method: "S256", V1: true, V1Resource: "res",
			IP: "192.0.2.1", Prompt: "login", ConsentDone: true, MFADone: true, Event: Event{Kind: EventAuthorize}}}},
	}
	for _, h := range flows {
		b, ok := h.appendSealed(nil)
		if !ok {
			t.Fatalf("flow %s: no binary form", h.ID)
		}
		var got, want flowHandle
		if err := got.readSealed(&binReader{b: b}); err != nil {
			t.Fatalf("flow %s: %v", h.ID, err)
		}
		j, _ := json.Marshal(h)
		if err := json.Unmarshal(j, &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("flow %s: binary\n%#v\nJSON\n%#v", h.ID, got, want)
		}
		for n := 0; n < len(b); n++ {
			var short flowHandle
			if short.readSealed(&binReader{b: b[:n]}) == nil {
				t.Fatalf("flow %s: %d of %d bytes accepted", h.ID, n, len(b))
			}
		}
	}
	if _, ok := (flowHandle{Resume: flowResume{WSFed: &wsfedResume{}}}).appendSealed(nil); ok {
		t.Error("a WS-Fed flow has a binary form; want JSON")
	}
}

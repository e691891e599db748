package idp

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/go-jose/go-jose/v4"
)

// userInfo is Graph's /oidc/userinfo body, in its order.
type userInfo struct {
	Sub        string `json:"sub"`
	Name       string `json:"name,omitempty"`
	FamilyName string `json:"family_name,omitempty"`
	GivenName  string `json:"given_name,omitempty"`
	Picture    string `json:"picture"`
	Email      string `json:"email,omitempty"`
}

// handleUserInfo is Graph's userinfo endpoint (GET and POST with a Bearer access token for
// Microsoft Graph). Errors are Graph's 401 JSON with a WWW-Authenticate challenge.
func (s *Server) handleUserInfo(w http.ResponseWriter, r *http.Request) {
	ev := &Event{Protocol: "OIDC", Kind: EventUserInfo, Binding: r.Method}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	if r.Method == http.MethodOptions {
		h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
		w.WriteHeader(http.StatusOK)
		return
	}
	auth := r.Header.Get("Authorization")
	scheme, tok, _ := strings.Cut(auth, " ")
	if auth == "" || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		s.userInfoError(w, ev, "InvalidAuthenticationToken", "Access token is empty.", nil)
		return
	}
	c, err := s.verifyAccessToken(strings.TrimSpace(tok))
	if err != nil {
		s.userInfoError(w, ev, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.", err)
		return
	}
	t := s.tenantForToken(c.Tid)
	var u *User
	if t != nil {
		if u = t.userByID(c.Oid); u == nil {
			u = s.faultUser(t.ID, c.Oid) // oidc.email.mutable's made-up user
		}
	}
	if u == nil {
		s.userInfoError(w, ev, "InvalidAuthenticationToken", "Access token validation failure.", errors.New("the token's user is not in the directory"))
		return
	}
	ev.TenantID, ev.UserID, ev.UserPrincipalName, ev.AppID = t.ID, u.ID, u.UserPrincipalName, c.AppID
	if corr := s.utiCorrelation(c.Uti); corr != "" {
		ev.CorrelationID = corr // the sign-in the token came from, on any replica (oauth_grant.go)
	}
	ui := userInfo{Sub: pairwiseSub(t.ID, c.AppID, u.ID), Name: u.DisplayName, FamilyName: u.Surname, GivenName: u.GivenName,
		Picture: "https://graph.microsoft.com/v1.0/me/photo/$value", Email: u.Mail}
	m := s.tokenFault(tok) // the grant's userinfo fault, from the store (fault_records.go)
	if m != nil {
		// Another user's answer: an RP that uses it instead of the ID token signs that user
		// in; one that compares the subs (or ignores userinfo) does not.
		v := s.victim(t, u)
		ui = userInfo{Sub: pairwiseSub(t.ID, c.AppID, v.ID), Name: v.DisplayName, FamilyName: v.Surname, GivenName: v.GivenName,
			Picture: ui.Picture, Email: v.Mail}
		if ui.Email == "" {
			ui.Email = v.UserPrincipalName
		}
		ev.Fault = &MintedFault{ID: m.fault.ID, Step: m.step, Changed: []string{fmt.Sprintf("userinfo answers for %s (sub %q)", ui.Email, ui.Sub)}}
	}
	s.prepareEvent(ev)
	ev.Response = map[string]string{"sub": ui.Sub, "email": ui.Email, "name": ui.Name}
	s.record(ev)
	h.Set("request-id", ev.ID)
	writeJSON(w, http.StatusOK, ui, true)
}

// atClaims are the access-token claims userinfo needs.
type atClaims struct {
	Aud   string `json:"aud"`
	Exp   int64  `json:"exp"`
	Nbf   int64  `json:"nbf"`
	Tid   string `json:"tid"`
	Oid   string `json:"oid"`
	AppID string `json:"appid"`
	IdTyp string `json:"idtyp"`
	Uti   string `json:"uti"`
	// Graph's authorisation (graph_auth.go): azp (v2 tokens' appid), roles, scp.
	Azp   string   `json:"azp"`
	Roles []string `json:"roles"`
	Scp   string   `json:"scp"`
}

// verifyAccessToken checks signature (any key of any tenant, by kid), lifetime and that the
// token is a delegated token for Microsoft Graph.
func (s *Server) verifyAccessToken(tok string) (*atClaims, error) {
	c, err := s.parseGraphToken(tok)
	if err != nil {
		return nil, err
	}
	if c.IdTyp != "user" {
		return nil, errors.New("userinfo needs a delegated (user) token")
	}
	return c, nil
}

// parseGraphToken checks signature (any key of any tenant, by kid), audience (Microsoft
// Graph) and lifetime of an access token, delegated or app-only.
func (s *Server) parseGraphToken(tok string) (*atClaims, error) {
	jws, err := jose.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return nil, err
	}
	if len(jws.Signatures) != 1 {
		return nil, errors.New("want one signature")
	}
	want := jws.Signatures[0].Header.KeyID
	var payload []byte
	s.oidc.mu.Lock()
	for _, keys := range s.oidc.keys {
		for _, k := range keys {
			if kid(k) == want && k.Published {
				payload, err = jws.Verify(&k.Key.PublicKey)
			}
		}
	}
	s.oidc.mu.Unlock()
	if payload == nil {
		if err == nil {
			err = errors.New("unknown kid")
		}
		return nil, err
	}
	var c atClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, err
	}
	if err := s.checkGraphToken(&c); err != nil {
		return nil, err
	}
	return &c, nil
}

func (s *Server) userInfoError(w http.ResponseWriter, ev *Event, code, msg string, cause error) {
	s.prepareEvent(ev)
	ev.Status, ev.FailureReason = StatusFailure, msg
	if cause != nil {
		ev.Detail = cause.Error()
	}
	s.record(ev)
	w.Header().Set("WWW-Authenticate", `Bearer realm="", authorization_uri="`+s.base()+`/common/oauth2/authorize", client_id="`+graphAppID+`"`)
	w.Header().Set("request-id", ev.ID)
	writeJSON(w, http.StatusUnauthorized, newGraphError(code, msg, ev.Time, ev.ID, ev.CorrelationID), true)
}

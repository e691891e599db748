package idp

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

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

// graphError is Microsoft Graph's error envelope.
type graphError struct {
	Error graphErrorBody `json:"error"`
}

type graphErrorBody struct {
	Code       string            `json:"code"`
	Message    string            `json:"message"`
	InnerError map[string]string `json:"innerError"`
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
	s.mu.Lock()
	if corr := s.tokenCorr[c.Uti]; corr != "" {
		ev.CorrelationID = corr
	}
	s.mu.Unlock()
	ui := userInfo{Sub: pairwiseSub(t.ID, c.AppID, u.ID), Name: u.DisplayName, FamilyName: u.Surname, GivenName: u.GivenName,
		Picture: "https://graph.microsoft.com/v1.0/me/photo/$value", Email: u.Mail}
	s.faults.mu.Lock()
	m := s.faults.tokens[strings.TrimSpace(tok)]
	s.faults.mu.Unlock()
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
}

// verifyAccessToken checks signature (any key of any tenant, by kid), lifetime and that the
// token is a delegated token for Microsoft Graph.
func (s *Server) verifyAccessToken(tok string) (*atClaims, error) {
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
	now := s.clock.Now()
	if c.Aud != graphAppID && c.Aud != "https://graph.microsoft.com" {
		return nil, errors.New("audience is not Microsoft Graph")
	}
	if now.After(time.Unix(c.Exp, 0)) || now.Before(time.Unix(c.Nbf, 0).Add(-5*time.Minute)) {
		return nil, errors.New("token is expired or not yet valid")
	}
	if c.IdTyp != "user" {
		return nil, errors.New("userinfo needs a delegated (user) token")
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
	writeJSON(w, http.StatusUnauthorized, graphError{Error: graphErrorBody{Code: code, Message: msg, InnerError: map[string]string{
		"date": ev.Time.UTC().Format("2006-01-02T15:04:05"), "request-id": ev.ID, "client-request-id": ev.CorrelationID}}}, true)
}

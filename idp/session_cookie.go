package idp

import (
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
)

// The IdP session lives in the browser, as Entra's ESTSAUTH does: the whole session (user,
// authentication instant, sid, the apps signed in to for single sign-out, MFA) is sealed into
// the cookie and re-issued whenever it changes, so any replica with the state key continues
// it and no replica keeps a session table. Signing out clears the cookie and records
// "session-ended/<sid>" in the store (shared by replicas), so that a copy of the old cookie,
// replayed to any replica, no longer signs anyone in.

// sessionCookie is the name of Entra's session cookie.
const sessionCookie = "ESTSAUTH"

// sessionTTL bounds a session from its sign-in. Entra's ESTSAUTH is a browser-session cookie
// whose server-side session Entra ends after a day of use without reauthentication at the
// latest; the mock's sealed value stops being accepted after sessionTTL, so a copied cookie
// is not good for ever, while no harness run comes near it.
const sessionTTL = 24 * time.Hour

// Store key prefix of ended sessions ("session-ended/<sid>").
const storeSessionEnded = "session-ended/"

// idpSession is a signed-in browser session at the IdP (the ESTSAUTH cookie). A second sign-in
// in the same browser, to any app of the tenant, is single sign-on. It is the cookie's sealed
// value, in the binary form of seal_state.go.
type idpSession struct {
	TenantID     string
	UserID       string
	AuthnInstant time.Time
	// SID is the session ID that OIDC tokens carry as sid; it names the session in the store's
	// "session-ended/" markers.
	SID string
	// Expires is when the session stops being accepted (sign-in + sessionTTL); re-issuing the
	// cookie keeps it, so a session used without end does not live for ever.
	Expires time.Time
	// SAML lists the SAML apps signed in to in this session (for SLO), one per app: the first
	// assertion's NameID and SessionIndex, which single sign-out sends back.
	SAML []samlParticipant
	// Apps lists the app IDs of the app registrations signed in to (front-channel logout).
	Apps []string
	// MFA: the user passed the MFA prompt in this session (conditional_access.go).
	MFA bool
}

// guidBytes parses a GUID in its lower-case 8-4-4-4-12 form (the form binReader.id restores).
func guidBytes(g string) ([]byte, bool) {
	if len(g) != 36 || g[8] != '-' || g[13] != '-' || g[18] != '-' || g[23] != '-' || strings.ToLower(g) != g {
		return nil, false
	}
	b, err := hex.DecodeString(g[:8] + g[9:13] + g[14:18] + g[19:23] + g[24:])
	return b, err == nil
}

// samlParticipant is one app that received an assertion in a session.
type samlParticipant struct {
	AppID        string
	NameID       string
	NameIDFormat string // the Format of the NameID the app got, repeated in a LogoutRequest
	SessionIndex string
}

// samlURNPrefix is the common start of the NameID formats, left out of the cookie.
const samlURNPrefix = "urn:oasis:names:tc:SAML:"

// session returns the browser's valid IdP session, if any: the cookie opens with the state
// key, has not expired, and its sid has not signed out (on any replica). When the store
// cannot answer, there is no session: a signed-out cookie must not pass for want of a check.
// The answer is kept for the rest of the request (session_request.go).
func (s *Server) session(r *http.Request) *idpSession {
	m := memoOf(r)
	if m != nil && m.opened {
		return copySession(m.sess)
	}
	sess := s.openSession(r)
	if m != nil {
		m.opened, m.sess = true, copySession(sess)
	}
	return sess
}

func (s *Server) openSession(r *http.Request) *idpSession {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil
	}
	var sess idpSession
	if s.unseal("session", c.Value, &sess) != nil || sess.SID == "" {
		return nil
	}
	if _, err := s.store.Get(r.Context(), storeSessionEnded+sess.SID); !errors.Is(err, ErrStoreNotFound) {
		return nil
	}
	return &sess
}

// sessionUser resolves a session to its tenant and user (nil if either is gone or disabled).
func (s *Server) sessionUser(sess *idpSession) (*Tenant, *User) {
	if sess == nil {
		return nil, nil
	}
	t := s.dir.tenant(sess.TenantID)
	if t == nil {
		return nil, nil
	}
	u := t.userByID(sess.UserID)
	if u == nil || !u.Enabled() {
		return nil, nil
	}
	return t, u
}

// newSession starts a session for u and sets its cookie.
func (s *Server) newSession(w http.ResponseWriter, t *Tenant, u *User) *idpSession {
	now := s.clock.Now()
	// Earlier versions drew a 24-byte session handle here; the draw stays so that a seeded
	// run (golden files) keeps the same sid and later IDs.
	_ = s.rand.token(24)
	sess := &idpSession{TenantID: t.ID, UserID: u.ID, AuthnInstant: now, SID: s.rand.guid(), Expires: now.Add(sessionTTL)}
	s.saveSession(w, sess)
	return sess
}

// saveSession (re-)issues the session's cookie; an earlier ESTSAUTH of the same response
// (a session made and then changed in one request) is replaced rather than sent twice.
// Behind a sessionWriter the cookie is sealed once, when the response's header is written.
func (s *Server) saveSession(w http.ResponseWriter, sess *idpSession) {
	if sw, ok := w.(*sessionWriter); ok {
		sw.hold(sess)
		return
	}
	s.setSessionCookie(w, sess)
}

// setSessionCookie seals sess into the response's ESTSAUTH.
func (s *Server) setSessionCookie(w http.ResponseWriter, sess *idpSession) {
	v, err := s.seal("session", sess, sess.Expires)
	if err != nil {
		return // a plain struct always marshals
	}
	h := w.Header()
	h["Set-Cookie"] = slices.DeleteFunc(h["Set-Cookie"], func(c string) bool { return strings.HasPrefix(c, sessionCookie+"=") })
	http.SetCookie(w, s.cookie(sessionCookie, v, 0))
}

// endSession marks the session ended for every replica and clears the cookie.
func (s *Server) endSession(w http.ResponseWriter, r *http.Request, sess *idpSession) {
	_, _ = s.store.Add(r.Context(), storeSessionEnded+sess.SID, []byte{1}, sess.Expires)
	forgetSession(r)
	if sw, ok := w.(*sessionWriter); ok {
		sw.flush() // the cookies in the order they were set
	}
	http.SetCookie(w, s.cookie(sessionCookie, "", -1))
}

// addSessionApp records that the session signed in to the app registration appID (its
// front-channel logout URL is called at sign-out) and re-issues the cookie if that is new.
func (s *Server) addSessionApp(w http.ResponseWriter, sess *idpSession, appID string) {
	if sess == nil || slices.Contains(sess.Apps, appID) {
		return
	}
	sess.Apps = append(sess.Apps, appID)
	s.saveSession(w, sess)
}

// addSAMLParticipant records the first assertion an app received in the session (single
// sign-out sends that NameID and SessionIndex) and re-issues the cookie if it is new.
func (s *Server) addSAMLParticipant(w http.ResponseWriter, sess *idpSession, p samlParticipant) {
	if sess == nil || slices.ContainsFunc(sess.SAML, func(q samlParticipant) bool { return q.AppID == p.AppID }) {
		return
	}
	sess.SAML = append(sess.SAML, p)
	s.saveSession(w, sess)
}

func (s *Server) sessionMFA(sess *idpSession) bool { return sess != nil && sess.MFA }

// setSessionMFA records a passed MFA prompt in the session and re-issues its cookie.
func (s *Server) setSessionMFA(w http.ResponseWriter, sess *idpSession) {
	if sess == nil || sess.MFA {
		return
	}
	sess.MFA = true
	s.saveSession(w, sess)
}

// appRegistrationByID is the app registration with app ID id, in whichever tenant registers
// it (nil when none does).
func (s *Server) appRegistrationByID(id string) *AppRegistration {
	for _, t := range s.cfg.Tenants {
		for _, a := range t.AppRegistrations {
			if a.AppID == id {
				return a
			}
		}
	}
	return nil
}

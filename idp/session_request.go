package idp

import (
	"context"
	"net/http"
	"slices"
	"strings"
)

// The IdP session is opened once per request and sealed once per response. A sign-in
// request asks for the browser's session several times (the passive check, the sign-in start,
// the SSO decision), and each ask used to decode the cookie, open it and read the store's
// "session-ended/" marker again; a sign-in that starts a session and then records the app in
// it sealed the cookie twice, the first one replaced by the second before the response left.

// sessionMemoKey is the request context key of a request's *sessionMemo.
type sessionMemoKey struct{}

// sessionMemo is what session(r) found for one request: the opened cookie (nil: none valid).
type sessionMemo struct {
	opened bool
	sess   *idpSession
}

// withSessionMemo gives a request that carries a session cookie a memo for its session;
// requests without one have nothing to open and get none (no allocation).
func withSessionMemo(r *http.Request) *http.Request {
	if c, err := r.Cookie(sessionCookie); err != nil || c.Value == "" {
		return r
	}
	return r.WithContext(context.WithValue(r.Context(), sessionMemoKey{}, &sessionMemo{}))
}

// memoOf is the request's session memo, nil when it has none.
func memoOf(r *http.Request) *sessionMemo {
	m, _ := r.Context().Value(sessionMemoKey{}).(*sessionMemo)
	return m
}

// copySession is a copy of sess whose lists are its own, so that a handler adding an app to
// the session it got does not change what a later session(r) of the request returns (the
// request's cookie, which is what that call returned before the memo).
func copySession(sess *idpSession) *idpSession {
	if sess == nil {
		return nil
	}
	c := *sess
	c.SAML, c.Apps = slices.Clone(sess.SAML), slices.Clone(sess.Apps)
	return &c
}

// forgetSession makes the rest of the request see no session (it was ended).
func forgetSession(r *http.Request) {
	if m := memoOf(r); m != nil {
		m.opened, m.sess = true, nil
	}
}

// sessionWriter holds back the session cookie of a response until the response's header is
// written, so that a session started and then changed in one request is sealed once.
type sessionWriter struct {
	http.ResponseWriter
	s       *Server
	pending *idpSession // the session to seal into the cookie, nil once sealed
}

// deferSessionCookie wraps w so that saveSession seals once, when the header is written.
func (s *Server) deferSessionCookie(w http.ResponseWriter) *sessionWriter {
	return &sessionWriter{ResponseWriter: w, s: s}
}

// heldCookie stands in the response's Set-Cookie list for the held session cookie, so that
// it keeps the place among the response's cookies that setting it at once would have given it.
const heldCookie = sessionCookie + "=\x00held"

// hold keeps sess to seal when the header is written, in the place of an earlier session
// cookie of the response, as saveSession without a sessionWriter does.
func (sw *sessionWriter) hold(sess *idpSession) {
	sw.pending = sess
	h := sw.Header()
	h["Set-Cookie"] = append(slices.DeleteFunc(h["Set-Cookie"], func(c string) bool {
		return strings.HasPrefix(c, sessionCookie+"=")
	}), heldCookie)
}

// flush seals the held session into the response's cookie.
func (sw *sessionWriter) flush() {
	sess := sw.pending
	if sess == nil {
		return
	}
	sw.pending = nil
	v, err := sw.s.seal("session", sess, sess.Expires)
	cs := sw.Header()["Set-Cookie"]
	i := slices.Index(cs, heldCookie)
	if i < 0 {
		return
	}
	if err != nil { // a plain struct always marshals
		sw.Header()["Set-Cookie"] = slices.Delete(cs, i, i+1)
		return
	}
	cs[i] = sw.s.cookie(sessionCookie, v, 0).String()
}

// WriteHeader sets the pending cookie first.
func (sw *sessionWriter) WriteHeader(code int) {
	sw.flush()
	sw.ResponseWriter.WriteHeader(code)
}

// Write sets the pending cookie first (a Write without WriteHeader writes the header).
func (sw *sessionWriter) Write(b []byte) (int, error) {
	sw.flush()
	return sw.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (sw *sessionWriter) Unwrap() http.ResponseWriter { return sw.ResponseWriter }

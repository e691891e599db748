package idp

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// samlAuthn is an accepted AuthnRequest (or an IdP-initiated launch), ready to be answered.
type samlAuthn struct {
	tenant       *Tenant
	app          *EnterpriseApp
	requestID    string // "" for IdP-initiated
	acs          string
	relayState   string
	nameIDFormat string
	// audience is the assertion's Audience: Entra puts the AuthnRequest's Issuer there
	// (it is one of the app's Identifiers, or the request is refused with AADSTS700016), so
	// an app with several Identifiers gets the one it asked as; "" (IdP-initiated) means the
	// default Identifier, as there is no request to take it from.
	audience string
	ev       Event // the request's log entry, reused for the response
}

// handleSAML2 is /{tenant}/saml2: AuthnRequests by HTTP-Redirect and HTTP-POST, and
// LogoutRequests by HTTP-Redirect, as Entra's single SAML endpoint takes them.
func (s *Server) handleSAML2(w http.ResponseWriter, r *http.Request) {
	redirect := r.Method == http.MethodGet
	ev := &Event{Context: browserContext(r), Protocol: "SAML", Kind: EventAuthnRequest, Binding: BindingPOST, CorrelationID: s.rand.guid()}
	if redirect {
		ev.Binding = BindingRedirect
	}
	t := s.tenantFromPath(w, r, ev)
	if t == nil {
		return
	}
	ev.TenantID = t.ID
	var raw, relay string
	var query url.Values // the URL's query, parsed once for the whole request
	if redirect {
		q, qerr := url.ParseQuery(r.URL.RawQuery)
		query = q
		raw, relay = q.Get("SAMLRequest"), q.Get("RelayState")
		if qerr != nil && strings.Contains(r.URL.RawQuery, "SAMLRequest=") {
			s.renderErrorPage(w, r, errMalformedSAML(fmt.Errorf("query string: %w", qerr)), ev)
			return
		}
		if raw == "" && q.Get("SAMLResponse") != "" {
			s.handleParticipantLogoutResponse(w, r, q.Get("SAMLResponse"), ev) // slo_fanout.go
			return
		}
		if raw == "" {
			s.renderErrorPage(w, r, errRedirectMissingSAML(), ev)
			return
		}
	} else {
		if err := r.ParseForm(); err != nil {
			s.renderErrorPage(w, r, errMalformedSAML(err), ev)
			return
		}
		raw, relay = r.PostForm.Get("SAMLRequest"), r.PostForm.Get("RelayState")
		if raw == "" {
			if r.PostForm.Get("SAMLResponse") != "" {
				ev.Kind = EventLogoutResponse
				s.renderErrorPage(w, r, errUnsupportedBinding(), ev)
				return
			}
			s.renderErrorPage(w, r, errMalformedSAML(errors.New("SAMLRequest form field is missing (HTTP-POST binding)")), ev)
			return
		}
	}
	// RequestURL is where the request arrived, for saml.request.destination.
	ev.Request = map[string]string{"RelayState": relay, "RequestURL": s.base() + r.URL.Path}
	if e := checkSAMLSizes(raw, relay, redirect); e != nil {
		s.renderErrorPage(w, r, e, ev)
		return
	}
	xmlBytes, err := DecodeSAMLRequest(raw, redirect)
	if err != nil {
		s.renderErrorPage(w, r, errMalformedSAML(err), ev)
		return
	}
	m, err := parseSAMLRequest(xmlBytes, &s.roundTrips)
	// The fields are logged before any refusal, also of a message that is not well-formed
	// (what could be read of its root): the SP's findings explain the refusal from them.
	ev.Request["XML"] = truncate(string(xmlBytes), 8<<10)
	if m != nil {
		logRequestFields(ev.Request, m)
	}
	if err != nil {
		s.renderErrorPage(w, r, errMalformedSAML(err), ev)
		return
	}
	switch m.XMLName.Local {
	case "AuthnRequest":
		s.handleAuthnRequest(w, r, t, m, relay, query, ev)
	case "LogoutRequest":
		ev.Kind = EventLogoutRequest
		if !redirect {
			s.renderErrorPage(w, r, errSignoutInvalid(errors.New("Entra accepts LogoutRequest by the HTTP-Redirect binding only")), ev)
			return
		}
		s.handleLogoutRequest(w, r, t, m, relay, ev)
	default:
		s.renderErrorPage(w, r, errMalformedSAML(fmt.Errorf("unexpected SAML message %s", m.XMLName.Local)), ev)
	}
}

// logRequestFields puts a request's root attributes and Issuer in its log entry. Absent
// attributes are left out, so that "Destination": "" never stands for no Destination.
func logRequestFields(req map[string]string, m *samlRequest) {
	for k, v := range map[string]string{"ID": m.ID, "Issuer": m.Issuer, "Version": m.Version,
		"IssueInstant": m.IssueInstant, "Destination": m.Destination} {
		if v != "" {
			req[k] = truncate(v, 8<<10)
		}
	}
}

// checkSAMLSizes refuses oversized SAML parameters before anything decodes or keeps them.
//
// RelayState: SAML bindings §3.4.3 and §3.5.3 say it MUST NOT exceed 80 bytes, but Entra does
// not enforce that — SPs routinely send a return URL or an encoded state of a few hundred
// bytes (Salesforce documents RelayState beyond 80 bytes and asks IdPs not to enforce the
// limit) and Entra echoes it. Refusing at 80 bytes would fail SPs that work with Entra, so the
// mock refuses only what Entra refuses: a parameter too long for its front end, answered with
// AADSTS90015 "Requested query string is too long" — the code Entra gives SAML SPs for an
// oversized Redirect request, and the one the OIDC side already uses for parameters over
// maxParamLen (8 KiB). The same bound and code apply to RelayState by HTTP-POST and to the
// SAMLRequest of the Redirect binding (a deflated AuthnRequest is well under 2 KiB); a POST
// SAMLRequest is bounded by maxBody and by DecodeSAMLRequest's cap on the decoded XML.
func checkSAMLSizes(raw, relay string, redirect bool) *Error {
	if len(relay) > maxParamLen || (redirect && len(raw) > maxParamLen) {
		return errQueryTooLong()
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// requestApp is the enterprise app whose Identifier is the request's Issuer (an
// AuthnRequest's or a LogoutRequest's), recorded in the event; without one it renders
// Entra's error page (AADSTS700016) and is nil.
func (s *Server) requestApp(w http.ResponseWriter, r *http.Request, t *Tenant, m *samlRequest, ev *Event) *EnterpriseApp {
	app := t.enterpriseAppByIdentifier(m.Issuer)
	if app == nil {
		s.renderErrorPage(w, r, errAppNotFound(m.Issuer, t.ID), ev)
		return nil
	}
	ev.AppID, ev.AppName = app.AppID, app.DisplayName
	return app
}

// verifyRequestSignature enforces "Require verification certificates" on a request.
func (s *Server) verifyRequestSignature(r *http.Request, app *EnterpriseApp, m *samlRequest) *Error {
	if !app.SAML.RequireVerificationCertificates {
		return nil
	}
	certs, err := s.verifyCerts.get(app)
	if err != nil {
		return errInvalidSignature(err)
	}
	if r.Method == http.MethodGet {
		err = verifyRedirectSignature(r.URL.RawQuery, certs, app.SAML.AllowWeakAlgorithm)
	} else {
		err = verifyEmbeddedSignature(m, certs, app.SAML.AllowWeakAlgorithm)
	}
	if err != nil {
		return asError(err)
	}
	return nil
}

// handleAuthnRequest answers an AuthnRequest; query is the URL's query when the caller parsed
// it already (nil: parsed here), so that a request parses it once.
func (s *Server) handleAuthnRequest(w http.ResponseWriter, r *http.Request, t *Tenant, m *samlRequest, relay string, query url.Values, ev *Event) {
	if query == nil {
		query = r.URL.Query()
	}
	req := ev.Request
	req["AssertionConsumerServiceURL"] = m.ACSURL
	req["ProtocolBinding"] = m.ProtocolBinding
	req["ForceAuthn"], req["IsPassive"] = m.ForceAuthn, m.IsPassive
	if m.NameIDPolicy != nil {
		req["NameIDPolicy.Format"] = m.NameIDPolicy.Format
	}
	if m.ACSIndex != nil {
		req["AssertionConsumerServiceIndex"] = fmt.Sprint(*m.ACSIndex)
	}
	if m.RequestedAuthnContext != nil {
		req["RequestedAuthnContext"] = m.RequestedAuthnContext.Comparison + " " + strings.Join(m.RequestedAuthnContext.ClassRefs, " ")
	}
	if m.ID == "" {
		s.renderErrorPage(w, r, errMalformedSAML(errors.New("the AuthnRequest has no ID")), ev)
		return
	}
	if !isXSID(m.ID) {
		// The ID comes back as InResponseTo, an xs:ID too (Entra: must not begin with a
		// number); no Response is made for a request whose ID is not one.
		s.renderErrorPage(w, r, errSAMLInvalidID(m.ID), ev)
		return
	}
	if m.Version != "2.0" {
		s.renderErrorPage(w, r, errMalformedSAML(fmt.Errorf("Version %q is not 2.0", m.Version)), ev)
		return
	}
	if e := s.checkDestination(r, t, m.Destination); e != nil {
		s.renderErrorPage(w, r, e, ev)
		return
	}
	if m.Issuer == "" {
		s.renderErrorPage(w, r, errMalformedSAML(errors.New("the AuthnRequest has no Issuer")), ev)
		return
	}
	app := s.requestApp(w, r, t, m, ev)
	if app == nil {
		return
	}
	req["Signed"] = fmt.Sprint(query.Get("Signature") != "" || m.Signature != nil)
	if e := s.verifyRequestSignature(r, app, m); e != nil {
		s.renderErrorPage(w, r, e, ev)
		return
	}
	if m.Subject != nil {
		s.renderErrorPage(w, r, errMalformedSAML(errors.New("a Subject in the AuthnRequest is not supported; send the user as login_hint")), ev)
		return
	}
	if sc := m.Scoping; sc != nil && (sc.ProxyCount != "" || sc.IDPList != nil || len(sc.RequesterID) > 0) {
		s.renderErrorPage(w, r, errMalformedSAML(errors.New("Scoping with ProxyCount, IDPList or RequesterID is not supported")), ev)
		return
	}
	format := ""
	if m.NameIDPolicy != nil {
		format = m.NameIDPolicy.Format
		if !supportedNameIDFormat(format) {
			s.renderErrorPage(w, r, errNameIDPolicy(format), ev)
			return
		}
	}
	if rac := m.RequestedAuthnContext; rac != nil && len(rac.ClassRefs) > 0 {
		if !authnContextSatisfied(rac.Comparison, rac.ClassRefs) {
			s.renderErrorPage(w, r, errAuthnContext(strings.Join(rac.ClassRefs, ", "), app.DisplayName), ev)
			return
		}
	}
	if m.ProtocolBinding != "" && m.ProtocolBinding != BindingPOST {
		s.renderErrorPage(w, r, errUnsupportedBinding(), ev)
		return
	}
	acs := app.SAML.DefaultReplyURL()
	switch {
	case m.ACSURL != "":
		if !app.SAML.hasReplyURL(m.ACSURL) {
			s.renderErrorPage(w, r, errReplyURLMismatch(m.ACSURL, app.AppID), ev)
			return
		}
		acs = m.ACSURL
	case m.ACSIndex != nil:
		u, ok := app.SAML.replyURLByIndex(*m.ACSIndex)
		if !ok {
			s.renderErrorPage(w, r, errReplyURLMismatch(fmt.Sprintf("index %d", *m.ACSIndex), app.AppID), ev)
			return
		}
		acs = u
	}
	a := &samlAuthn{tenant: t, app: app, requestID: m.ID, acs: acs, relayState: relay, nameIDFormat: format,
		audience: audienceFor(m.Issuer), ev: *ev}
	if m.isPassive() {
		if _, u := s.sessionUser(s.session(r)); u == nil {
			s.sendSAMLStatus(w, a, "urn:oasis:names:tc:SAML:2.0:status:Responder", "urn:oasis:names:tc:SAML:2.0:status:NoPassive",
				errSessionExpired(), nil)
			return
		}
	}
	s.beginSAMLSignIn(w, r, a, query.Get("login_hint"), m.forceAuthn())
}

// beginSAMLSignIn shows the sign-in page (or uses the session) and then answers a.
func (s *Server) beginSAMLSignIn(w http.ResponseWriter, r *http.Request, a *samlAuthn, loginHint string, force bool) {
	f := &pendingFlow{
		tenant: a.tenant, appName: a.app.DisplayName, appID: a.app.AppID, loginHint: loginHint, correlation: a.ev.CorrelationID,
		resume: flowResume{SAML: samlResumeOf(a)},
	}
	if t, u := s.sessionUser(s.session(r)); force || u == nil || t != a.tenant {
		ev := a.ev
		ev.Status = StatusInterrupted
		s.record(&ev)
	}
	s.startSignIn(w, r, f, force)
}

// authnContextSatisfied reports whether a password sign-in meets RequestedAuthnContext.
func authnContextSatisfied(comparison string, refs []string) bool {
	if comparison != "" && comparison != "exact" {
		return false
	}
	for _, ref := range refs {
		switch ref {
		case AuthnContextPassword, "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
			"urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified", "urn:oasis:names:tc:SAML:2.0:ac:classes:Unspecified":
			return true
		}
	}
	return false
}

// sendSAMLResponse checks assignment, then posts the signed Response to the ACS.
func (s *Server) sendSAMLResponse(w http.ResponseWriter, r *http.Request, a *samlAuthn, sess *idpSession, u *User) {
	ev := a.ev
	ev.ID = ""
	ev.Time = s.clock.Now()
	ev.Status = ""
	ev.UserID, ev.UserPrincipalName = u.ID, u.UserPrincipalName
	if !a.tenant.assigned(u, a.app.AssignmentRequired, a.app.Assignments) {
		s.renderErrorPage(w, r, errUserNotAssigned(a.app.DisplayName, a.app.AppID, u.UserPrincipalName), &ev)
		return
	}
	in := samlResponseInput{
		Tenant: a.tenant, App: a.app, User: u, Destination: a.acs, InResponseTo: a.requestID,
		NameIDFormat: a.nameIDFormat, AuthnInstant: sess.AuthnInstant, Audience: a.audience,
	}
	var m *samlMint
	use := s.takeFault(r, ProtocolSAML, a.tenant, a.app.faultKeys(), u)
	if s.interruptSAML(w, r, a, sess, u, use, &ev) {
		return // Conditional Access (conditional_access_saml.go)
	}
	in.MFA = s.sessionMFA(sess)
	if use != nil {
		m = &samlMint{s: s, t: a.tenant, app: a.app, user: u}
		if err := use.fault.saml(m, use.step); err != nil {
			s.renderErrorPage(w, r, asError(fmt.Errorf("fault %s: %w", use.fault.ID, err)), &ev)
			return
		}
		// The clock fault: this context's IdP runs ahead or behind; the server clock does not move.
		m.now = s.clock.Now().Add(m.offset)
		in.IssueInstant, in.AuthnInstant = m.now, in.AuthnInstant.Add(m.offset)
		ev.Fault = use.record(m.changed)
		if m.key != nil && m.key.Published {
			// A certificate of the app's metadata: whether the SP trusted it is the fault's premise.
			ev.Fault.Certificate = m.key.Thumbprint()
		}
		if m.deliver == deliverStatus {
			s.sendSAMLStatus(w, a, "urn:oasis:names:tc:SAML:2.0:status:Requester", "urn:oasis:names:tc:SAML:2.0:status:RequestDenied",
				errUserNotAssigned(a.app.DisplayName, a.app.AppID, u.UserPrincipalName), ev.Fault)
			return
		}
	}
	var b []byte
	var resp *samlResponse
	var err error
	if m == nil {
		// A plain sign-in: the direct writer, which makes the same bytes without a DOM.
		b, resp, err = s.samlResponseBytes(in)
	} else if resp, err = s.buildSAMLResponse(in, m); err == nil {
		if b, err = resp.Bytes(); err == nil {
			b = m.sent(b)
			if ev.Fault != nil {
				ev.Fault.Decoy = m.decoy
			}
		}
	}
	if err != nil {
		s.renderErrorPage(w, r, asError(err), &ev)
		return
	}
	s.addSAMLParticipant(w, sess, samlParticipant{AppID: a.app.AppID, NameID: resp.NameID, NameIDFormat: resp.NameIDFormat, SessionIndex: resp.SessionIndex})
	ev.Response = map[string]string{
		"ID": resp.ResponseID, "AssertionID": resp.AssertionID, "Destination": a.acs, "InResponseTo": a.requestID,
		"NameID": resp.NameID, "NameIDFormat": resp.NameIDFormat, "Signing": resp.Signing, "RelayState": a.relayState,
	}
	resp.noteEncryption(ev.Response)
	s.record(&ev)
	s.sendMintedSAML(w, r, m, a.acs, a.relayState, b)
}

// sendSAMLStatus posts an error Response (no assertion) to the ACS, as Entra does for
// failures it reports to the SP rather than on its own page.
func (s *Server) sendSAMLStatus(w http.ResponseWriter, a *samlAuthn, top, sub string, e *Error, fault *MintedFault) {
	ev := a.ev
	ev.Status, ev.ErrorCode, ev.FailureReason, ev.Fault = StatusFailure, e.Code, e.Message, fault
	s.record(&ev)
	now := s.clock.Now()
	msg := fmt.Sprintf("AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s",
		e.Code, e.Message, ev.ID, ev.CorrelationID, now.Format("2006-01-02 15:04:05Z"))
	x := fmt.Sprintf(`<samlp:Response ID="_%s" Version="2.0" IssueInstant="%s" Destination="%s" InResponseTo="%s" xmlns:samlp="%s"><Issuer xmlns="%s">%s</Issuer><samlp:Status><samlp:StatusCode Value="%s"><samlp:StatusCode Value="%s"/></samlp:StatusCode><samlp:StatusMessage>%s</samlp:StatusMessage></samlp:Status></samlp:Response>`,
		s.rand.guid(), now.Format(samlTime), xmlEscapeAttr(a.acs), xmlEscapeAttr(a.requestID), nsProtocol, nsAssertion,
		EntityID(a.tenant), top, sub, xmlEscape(msg))
	fields := []formField{{Name: "SAMLResponse", b64: []byte(x)}}
	if a.relayState != "" {
		fields = append(fields, formField{Name: "RelayState", Value: a.relayState})
	}
	s.renderPostForm(w, a.acs, fields...)
}

// xmlEscape escapes text: & < > " and CR (which a parser would read as LF).
func xmlEscape(s string) string { return xmlEscapeWS(s, false) }

// xmlEscapeAttr escapes an attribute value: as xmlEscape, and TAB and LF, which a parser
// would read as spaces (so an InResponseTo would no longer match the request's ID).
func xmlEscapeAttr(s string) string { return xmlEscapeWS(s, true) }

func xmlEscapeWS(s string, attr bool) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\t', '\n':
			if !attr {
				b.WriteRune(r)
				continue
			}
			fmt.Fprintf(&b, "&#x%X;", r)
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		case '\r':
			b.WriteString("&#xD;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

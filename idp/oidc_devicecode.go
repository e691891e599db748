package idp

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The device authorization grant (RFC 8628) as Entra serves it: a device posts its client ID
// and scopes to /devicecode and shows the user a code and a URL; the user opens the URL in a
// browser, enters the code, signs in and confirms; meanwhile the device polls the token
// endpoint with grant_type=urn:ietf:params:oauth:grant-type:device_code and gets
// authorization_pending (AADSTS70016) until the user has confirmed, then the tokens.
//
// Entra's verification_uri is https://microsoft.com/devicelogin, which redirects to
// login.microsoftonline.com/common/oauth2/deviceauth; the mock serves both on its own host:
// GET /devicelogin redirects to /common/oauth2/deviceauth, the page.

const (
	// deviceCodeLifetime is Entra's expires_in of a device code (900 s).
	deviceCodeLifetime = 15 * time.Minute
	// deviceCodeInterval is Entra's polling interval, in seconds. The mock advertises it
	// and does not answer slow_down (Entra has not been seen to either): MSAL Go polls
	// sooner than the interval at first and treats slow_down as pending anyway.
	deviceCodeInterval = 5
	// userCodeAlphabet is what Entra's user codes are made of (e.g. FRWQDE7YL, DM5Y6LYDS):
	// upper-case letters and digits; the mock leaves out I, O, 0 and 1, which a user misreads.
	userCodeAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	// userCodeLen is the length of Entra's current user codes.
	userCodeLen = 9
)

// grantDeviceCode is the device code grant's grant_type (RFC 8628).
const grantDeviceCode = "urn:ietf:params:oauth:grant-type:device_code"

// Device code states.
const (
	devicePending  = "pending"
	deviceApproved = "approved"
	deviceDeclined = "declined"
	deviceRedeemed = "redeemed"
)

// deviceGrant is one device authorization, from /devicecode to its redemption, as read from
// the store (oidc_devicecode_store.go).
type deviceGrant struct {
	app        *AppRegistration
	appTenant  *Tenant
	pathTenant *Tenant // nil for common/organizations
	scopes     scopeSet
	userCode   string
	deviceCode string
	expires    time.Time
	corr       string
	v1         bool
	status     string
	// confirm is the nonce of the confirmation form shown to the signed-in user, and
	// sessID that user's session: the form's post must carry both (no cross-site approval).
	confirm string
	sessID  string
	// decided is the user's grant, once approved.
	decided *sealedGrant
}

// deviceCodeResponse is the v2 /devicecode answer, in Entra's field order (RFC 8628 names).
type deviceCodeResponse struct {
	UserCode        string `json:"user_code"`
	DeviceCode      string `json:"device_code"`
	VerificationURI string `json:"verification_uri"`
	ExpiresIn       int    `json:"expires_in"`
	Interval        int    `json:"interval"`
	Message         string `json:"message"`
}

// deviceCodeResponseV1 is the v1 answer as Entra sends it (ADAL's format, captured in ADAL
// clients' tests): the URL is verification_url, and expires_in and interval are strings.
type deviceCodeResponseV1 struct {
	UserCode        string `json:"user_code"`
	DeviceCode      string `json:"device_code"`
	VerificationURL string `json:"verification_url"`
	ExpiresIn       string `json:"expires_in"`
	Interval        string `json:"interval"`
	Message         string `json:"message"`
}

// handleDeviceCodeV2 is /{tenant}/oauth2/v2.0/devicecode.
func (s *Server) handleDeviceCodeV2(w http.ResponseWriter, r *http.Request) {
	s.deviceCode(w, r, false)
}

// handleDeviceCodeV1 is /{tenant}/oauth2/devicecode, which takes resource= instead of scope=.
func (s *Server) handleDeviceCodeV1(w http.ResponseWriter, r *http.Request) { s.deviceCode(w, r, true) }

// deviceCode starts a device authorization: it checks the client and the scopes and answers
// the codes and the message the device shows.
func (s *Server) deviceCode(w http.ResponseWriter, r *http.Request, v1 bool) {
	ev := &Event{Protocol: "OIDC", Kind: EventDeviceCode, Binding: r.Method, CorrelationID: s.rand.guid()}
	if r.Method != http.MethodPost {
		s.writeTokenError(w, errPostOnly(r.Method), ev)
		return
	}
	pathTenant, multi, ok := s.oidcTenant(r)
	if !ok {
		s.writeTokenError(w, errUnknownTenant(truncate(r.PathValue("tenant"), 128)), ev)
		return
	}
	if pathTenant != nil {
		ev.TenantID = pathTenant.ID
	}
	p, e := oauthParams(r)
	if e != nil {
		s.writeTokenError(w, e, ev)
		return
	}
	if c := p.Get("client-request-id"); isGUID(c) {
		ev.CorrelationID = c
	}
	ev.Request = map[string]string{}
	for _, k := range []string{"client_id", "scope", "resource"} {
		if v := p.Get(k); v != "" {
			ev.Request[k] = truncate(v, 512)
		}
	}
	clientID := p.Get("client_id")
	if clientID == "" {
		s.writeTokenError(w, errMissingParameter("client_id"), ev)
		return
	}
	app, appTenant := s.findClient(pathTenant, clientID)
	if app == nil {
		where := r.PathValue("tenant")
		if pathTenant != nil {
			where = pathTenant.ID
		}
		s.writeTokenError(w, errAppNotFound(truncate(clientID, 128), where), ev)
		return
	}
	ev.AppID, ev.AppName = app.AppID, app.DisplayName
	if multi && !app.multiTenant() {
		s.writeTokenError(w, errNotMultiTenant(app.AppID, app.DisplayName), ev)
		return
	}
	scope := p.Get("scope")
	if v1 {
		// v1 names one resource; its tokens come with an ID token and a refresh token.
		res := p.Get("resource")
		if res == "" {
			s.writeTokenError(w, errMissingParameter("resource"), ev)
			return
		}
		scope = strings.TrimSuffix(res, "/") + "/.default openid offline_access"
	}
	if scope == "" {
		s.writeTokenError(w, errMissingParameter("scope"), ev)
		return
	}
	ss, e := parseScope(scope)
	if e == nil {
		_, e = s.resolveResource(ss)
	}
	if e != nil {
		s.writeTokenError(w, e, ev)
		return
	}
	now := s.clock.Now()
	dg := &deviceGrant{app: app, appTenant: appTenant, pathTenant: pathTenant, scopes: ss,
		expires: now.Add(deviceCodeLifetime), corr: ev.CorrelationID, v1: v1, status: devicePending}
	if err := s.storeDeviceGrant(dg); err != nil {
		s.writeTokenError(w, asError(err), ev)
		return
	}
	uri := s.URL + "/devicelogin"
	msg := "To sign in, use a web browser to open the page " + uri + " and enter the code " + dg.userCode + " to authenticate."
	expiresIn := int(deviceCodeLifetime / time.Second)
	var resp any = deviceCodeResponse{UserCode: dg.userCode, DeviceCode: dg.deviceCode, VerificationURI: uri, ExpiresIn: expiresIn, Interval: deviceCodeInterval, Message: msg}
	if v1 {
		resp = deviceCodeResponseV1{UserCode: dg.userCode, DeviceCode: dg.deviceCode, VerificationURL: uri,
			ExpiresIn: strconv.Itoa(expiresIn), Interval: strconv.Itoa(deviceCodeInterval), Message: msg}
	}
	s.prepareEvent(ev)
	ev.Response = map[string]string{"user_code": dg.userCode, "verification_uri": uri}
	s.record(ev)
	w.Header().Set("x-ms-request-id", ev.ID)
	writeJSON(w, http.StatusOK, resp, true)
}

// userCode draws a user code from the server's random source.
func (s *Server) userCode() string {
	b := make([]byte, userCodeLen)
	s.rand.read(b)
	for i := range b {
		b[i] = userCodeAlphabet[int(b[i])%len(userCodeAlphabet)] // 256 is a multiple of 32: unbiased
	}
	return string(b)
}

// redeemDeviceCode is grant_type=urn:ietf:params:oauth:grant-type:device_code: the device's
// poll. The device code is single-use: once its tokens are issued it is unknown
// (bad_verification_code). The v1 token endpoint's grant_type=device_code names the code
// "code"; both names are taken.
func (s *Server) redeemDeviceCode(w http.ResponseWriter, tr *tokenRequest) {
	p, ev := tr.p, tr.ev
	code := p.Get("device_code")
	if code == "" {
		code = p.Get("code")
	}
	if code == "" {
		s.writeTokenError(w, errMissingParameter("device_code"), ev)
		return
	}
	if tr.origin != "" {
		s.writeTokenError(w, errCrossOriginNotSPA(tr.origin), ev)
		return
	}
	if tr.hasAuth {
		if e := s.authenticate(tr); e != nil {
			s.writeTokenError(w, e, ev)
			return
		}
	} else if !tr.app.IsFallbackPublicClient {
		s.writeTokenError(w, errMissingClientSecret(), ev)
		return
	}
	dg, status, g, e := s.redeemDeviceGrant(code, tr.app) // the one poll that redeems gets g
	if dg == nil {
		s.writeTokenError(w, codeBadVerificationCode.with(), ev)
		return
	}
	ev.CorrelationID = dg.corr
	if e != nil {
		s.writeTokenError(w, e, ev)
		return
	}
	switch {
	case s.clock.Now().After(dg.expires):
		s.writeTokenError(w, codeDeviceCodeExpired.with(), ev)
	case status == devicePending:
		s.writeTokenError(w, codeAuthorizationPending.with(), ev)
	case status == deviceDeclined:
		s.writeTokenError(w, errAuthorizationDeclined(), ev)
	case status == deviceRedeemed:
		s.writeTokenError(w, codeBadVerificationCode.with(), ev)
	case g == nil:
		s.writeTokenError(w, codeBadVerificationCode.with(), ev)
	default:
		ev.TenantID, ev.UserID, ev.UserPrincipalName = g.tenant.ID, g.user.ID, g.user.UserPrincipalName
		if e := g.userState(); e != nil {
			s.writeTokenError(w, e, ev) // deleted or disabled since the approval
			return
		}
		s.issueTokens(w, tr, g)
	}
}

// errAuthorizationDeclined is the poll's answer after the user chose Cancel. RFC 8628 and
// Entra's device code page name the error authorization_declined; no capture of Entra's
// AADSTS code for it was found, so the mock sends AADSTS70000 (InvalidGrant, the code of a
// grant that cannot be redeemed) under that error name.
func errAuthorizationDeclined() *Error {
	e := ErrInvalidGrant.text("The user declined the authorization request for this device code.")
	e.OAuth = "authorization_declined"
	return e
}

package idp

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
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
	// maxDeviceCodes bounds the device codes kept (each is two map entries: its device
	// code and its user code); past it the oldest are dropped.
	maxDeviceCodes = 1000
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

// deviceGrant is one device authorization, from /devicecode to its redemption.
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
	grant   *oauthGrant // the user's grant, once approved
}

// deviceState keeps the device codes. Each grant is in codes twice, under "d:"+device code
// and "u:"+user code, so that one expiry queue sweeps both.
type deviceState struct {
	mu     sync.Mutex
	codes  map[string]*deviceGrant
	expiry expiryQueue[*deviceGrant]
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
		deviceCode: "DAQABAAEAAAD" + s.opaque(160), expires: now.Add(deviceCodeLifetime), corr: ev.CorrelationID, v1: v1, status: devicePending}
	s.storeDeviceGrant(dg, now)
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

// storeDeviceGrant gives dg a user code no pending grant has and keeps it. Codes are kept a
// lifetime past their expiry, so that a late poll is told expired_token rather than
// bad_verification_code.
func (s *Server) storeDeviceGrant(dg *deviceGrant, now time.Time) {
	d := &s.device
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.codes == nil {
		d.codes = map[string]*deviceGrant{}
	}
	d.expiry.sweep(now, d.codes)
	for len(d.codes) >= 2*maxDeviceCodes && d.expiry.dropFirst(d.codes) {
	}
	for {
		dg.userCode = s.userCode()
		if d.codes["u:"+dg.userCode] == nil {
			break
		}
	}
	d.codes["u:"+dg.userCode] = dg
	d.codes["d:"+dg.deviceCode] = dg
	keep := dg.expires.Add(deviceCodeLifetime)
	d.expiry.add(keep, "u:"+dg.userCode, dg)
	d.expiry.add(keep, "d:"+dg.deviceCode, dg)
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

// deviceGrantBy returns the grant under key ("u:" or "d:" and the code), or nil, and its
// state at the time (the grant's other fields are not changed after it is stored).
func (s *Server) deviceGrantBy(key string) (*deviceGrant, string) {
	s.device.mu.Lock()
	defer s.device.mu.Unlock()
	dg := s.device.codes[key]
	if dg == nil {
		return nil, ""
	}
	return dg, dg.status
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
	s.device.mu.Lock()
	dg := s.device.codes["d:"+code]
	var status string
	var g *oauthGrant
	if dg != nil && dg.app == tr.app {
		status, g = dg.status, dg.grant
		if status == deviceApproved && !s.clock.Now().After(dg.expires) {
			dg.status = deviceRedeemed
		}
	}
	s.device.mu.Unlock()
	if dg == nil || dg.app != tr.app {
		s.writeTokenError(w, codeBadVerificationCode.with(), ev)
		return
	}
	ev.CorrelationID = dg.corr
	switch {
	case s.clock.Now().After(dg.expires):
		s.writeTokenError(w, codeDeviceCodeExpired.with(), ev)
	case status == devicePending:
		s.writeTokenError(w, codeAuthorizationPending.with(), ev)
	case status == deviceDeclined:
		s.writeTokenError(w, errAuthorizationDeclined(), ev)
	case status == deviceRedeemed:
		s.writeTokenError(w, codeBadVerificationCode.with(), ev)
	default:
		ev.TenantID, ev.UserID, ev.UserPrincipalName = g.tenant.ID, g.user.ID, g.user.UserPrincipalName
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

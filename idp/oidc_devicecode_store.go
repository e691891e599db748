package idp

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// Where a device authorization lives, so that the device may poll one replica while the
// user's browser enters the code on another:
//
//   - the device code is sealed (seal.go): the user code, app and expiry it stands for;
//   - "device/<user code>" in the store is the authorization as /devicecode made it (Add,
//     so that no two pending authorizations share a user code on any replica);
//   - "device-ask/<user code>" is the confirmation page last shown (its nonce and session);
//   - "device-decision/<user code>" is the user's Continue (with the grant) or Cancel, Add:
//     the first decision stands;
//   - "device-redeemed/<user code>" is claimed (Add) by the one poll that gets the tokens.
//
// All of them expire a code lifetime past the code, so that a late poll is told
// expired_token rather than bad_verification_code.

// Store key prefixes and the sealing purpose of device authorizations.
const (
	sealDevice         = "device"
	deviceCodePrefix   = "DAQABAAEAAAD"
	keyDevice          = "device/"
	keyDeviceAsk       = "device-ask/"
	keyDeviceDecision  = "device-decision/"
	keyDeviceRedeemed  = "device-redeemed/"
	maxUserCodeRetries = 16
)

// deviceRecord is a device authorization as the store keeps it.
type deviceRecord struct {
	App        string    `json:"app"`
	AppTenant  string    `json:"apt"`
	PathTenant string    `json:"pt,omitempty"` // "" for common/organizations
	Scope      string    `json:"scope"`
	Expires    time.Time `json:"exp"`
	Corr       string    `json:"corr,omitempty"`
	V1         bool      `json:"v1,omitempty"`
}

// deviceCodeValue is what the device code seals.
type deviceCodeValue struct {
	UserCode string `json:"uc"`
	App      string `json:"app"`
}

// deviceAskRecord is the confirmation page shown: its nonce and the session it was shown to.
type deviceAskRecord struct {
	Confirm string `json:"nonce"`
	SessID  string `json:"sess"`
}

// deviceDecision is the user's answer: approved with the grant, or declined.
type deviceDecision struct {
	Status string       `json:"status"`
	Grant  *sealedGrant `json:"grant,omitempty"`
}

// storeDeviceGrant gives dg a user code no live authorization has (on any replica), keeps
// it in the store and seals its device code.
func (s *Server) storeDeviceGrant(dg *deviceGrant) error {
	rec := deviceRecord{App: dg.app.AppID, AppTenant: dg.appTenant.ID, Scope: strings.Join(dg.scopes.all, " "),
		Expires: dg.expires, Corr: dg.corr, V1: dg.v1}
	if dg.pathTenant != nil {
		rec.PathTenant = dg.pathTenant.ID
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	keep := dg.expires.Add(deviceCodeLifetime)
	for i := 0; ; i++ {
		dg.userCode = s.userCode()
		ok, err := s.store.Add(storeCtx(), keyDevice+dg.userCode, b, keep)
		if err != nil {
			return err
		}
		if ok {
			break
		}
		if i == maxUserCodeRetries {
			return errors.New("device code: no free user code")
		}
	}
	v, err := s.seal(sealDevice, deviceCodeValue{UserCode: dg.userCode, App: dg.app.AppID}, keep)
	if err != nil {
		return err
	}
	dg.deviceCode = deviceCodePrefix + v
	return nil
}

// deviceGrantBy returns the authorization under key ("u:" and the user code, or "d:" and the
// device code), or nil, and its state at the time.
func (s *Server) deviceGrantBy(key string) (*deviceGrant, string) {
	code, ok := strings.CutPrefix(key, "u:")
	if !ok {
		var v deviceCodeValue
		dc, _ := strings.CutPrefix(key, "d:")
		rest, isDevice := strings.CutPrefix(dc, deviceCodePrefix)
		if !isDevice || s.unseal(sealDevice, rest, &v) != nil {
			return nil, ""
		}
		code = v.UserCode
	}
	if code == "" {
		return nil, ""
	}
	ctx := storeCtx()
	b, err := s.store.Get(ctx, keyDevice+code)
	var rec deviceRecord
	if err != nil || json.Unmarshal(b, &rec) != nil {
		return nil, ""
	}
	dg := &deviceGrant{userCode: code, expires: rec.Expires, corr: rec.Corr, v1: rec.V1, status: devicePending}
	if dg.appTenant = s.dir.tenant(rec.AppTenant); dg.appTenant != nil {
		dg.app = dg.appTenant.AppRegistration(rec.App)
	}
	if dg.app == nil || !strings.EqualFold(dg.app.AppID, rec.App) {
		return nil, ""
	}
	if rec.PathTenant != "" {
		dg.pathTenant = s.dir.tenant(rec.PathTenant)
	}
	dg.scopes, _ = parseScope(rec.Scope)
	var ask deviceAskRecord
	if b, err := s.store.Get(ctx, keyDeviceAsk+code); err == nil && json.Unmarshal(b, &ask) == nil {
		dg.confirm, dg.sessID = ask.Confirm, ask.SessID
	}
	var dec deviceDecision
	if b, err := s.store.Get(ctx, keyDeviceDecision+code); err == nil && json.Unmarshal(b, &dec) == nil {
		dg.status, dg.confirm, dg.decided = dec.Status, "", dec.Grant
		if _, err := s.store.Get(ctx, keyDeviceRedeemed+code); err == nil {
			dg.status = deviceRedeemed
		}
	}
	return dg, dg.status
}

// deviceAskConfirm records the confirmation page shown to the session (its nonce), unless
// the code was decided meanwhile (false).
func (s *Server) deviceAskConfirm(dg *deviceGrant, nonce, sessID string) bool {
	if _, status := s.deviceGrantBy("u:" + dg.userCode); status != devicePending {
		return false
	}
	b, _ := json.Marshal(deviceAskRecord{Confirm: nonce, SessID: sessID})
	return s.store.Put(storeCtx(), keyDeviceAsk+dg.userCode, b, dg.expires.Add(deviceCodeLifetime)) == nil
}

// deviceDecide takes the user's Continue or Cancel on the confirmation page: the post must
// carry the nonce of the page shown to this session. It returns the code's state after.
func (s *Server) deviceDecide(dg *deviceGrant, sess *idpSession, t *Tenant, u *User, action, nonce string) (string, *Error) {
	cur, status := s.deviceGrantBy("u:" + dg.userCode)
	switch {
	case cur == nil || status != devicePending || cur.confirm == "":
		return status, codeBadVerificationCode.with()
	case s.clock.Now().After(cur.expires):
		return status, codeVerificationCodeExpired.with()
	case u == nil || sess == nil || sess.SID != cur.sessID ||
		subtle.ConstantTimeCompare([]byte(nonce), []byte(cur.confirm)) != 1:
		return status, errFlowTokenInvalid(errDeviceConfirmForeign)
	case action != "continue" && action != "cancel":
		return status, errMalformedRequest("action must be continue or cancel")
	}
	dec := deviceDecision{Status: deviceDeclined}
	if action == "continue" {
		g := &oauthGrant{app: cur.app, tenant: t, user: u, sid: sess.SID, authTime: sess.AuthnInstant, scopes: cur.scopes.all,
			platform: platformPublic, expires: cur.expires, corr: cur.corr}
		w := s.wireGrant(g)
		dec = deviceDecision{Status: deviceApproved, Grant: &w}
	}
	b, err := json.Marshal(dec)
	if err != nil {
		return status, asError(err)
	}
	ok, err := s.store.Add(storeCtx(), keyDeviceDecision+dg.userCode, b, cur.expires.Add(deviceCodeLifetime))
	if err != nil {
		return status, asError(err)
	}
	if !ok { // another replica's post decided first
		return status, codeBadVerificationCode.with()
	}
	_ = s.store.Delete(storeCtx(), keyDeviceAsk+dg.userCode)
	return dec.Status, nil
}

// redeemDeviceGrant is the poll's view of the code: the authorization (nil: unknown or
// another app's), its state, and the grant when this poll is the one that redeems it.
func (s *Server) redeemDeviceGrant(code string, app *AppRegistration) (*deviceGrant, string, *oauthGrant, *Error) {
	dg, status := s.deviceGrantBy("d:" + code)
	if dg == nil || dg.app != app {
		return nil, "", nil, nil
	}
	if status != deviceApproved || s.clock.Now().After(dg.expires) || dg.decided == nil {
		return dg, status, nil, nil
	}
	first, err := s.store.Add(storeCtx(), keyDeviceRedeemed+dg.userCode, []byte{1}, dg.expires.Add(deviceCodeLifetime))
	if err != nil {
		return dg, status, nil, asError(err)
	}
	if !first {
		return dg, deviceRedeemed, nil, nil
	}
	g, err := s.openWireGrant(*dg.decided)
	if err != nil {
		return dg, status, nil, grantError(err, "device_code")
	}
	return dg, status, g, nil
}

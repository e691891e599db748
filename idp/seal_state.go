package idp

import (
	"encoding/binary"
	"strings"
	"time"
)

// The session cookie is sealed on every sign-in response and opened on every request that
// carries it; a code and a refresh token are sealed at every authorization and token
// response and opened at every redemption. Their JSON (reflection, base64 of GUIDs, times
// as text) cost more than the AES-GCM around it, so they are sealed in a binary form like
// the flow's (seal_binary.go): a format version byte, then the fields in a fixed order.
// These values have no JSON form any more: a JSON plaintext (a value sealed before the
// binary form) or another version is refused as any value that is not ours is (errSealed:
// no session; AADSTS for a code or refresh token), never misread.

// Versions of the binary state forms (the first byte of the value).
const (
	sessionBinV1 = 1
	grantBinV1   = 1
)

// sealBinaryOnly marks a value whose sealed form is binary only: unseal refuses a JSON
// plaintext for it.
type sealBinaryOnly interface {
	binaryOnly()
}

// Tags of appendID: how an ID follows.
const (
	idRaw       = 0 // a length-prefixed string
	idGUID      = 1 // the 16 bytes of a lower-case GUID
	idUnderGUID = 2 // "_" and the 16 bytes of a lower-case GUID (a SAML ID)
)

// appendID writes an ID, as its 16 bytes when it is a lower-case GUID (bare or "_"-prefixed,
// the form it comes back in), else as a string.
func appendID(b []byte, v string) []byte {
	tag, g := byte(idGUID), v
	if strings.HasPrefix(v, "_") {
		tag, g = idUnderGUID, v[1:]
	}
	if gb, ok := guidBytes(g); ok {
		return append(append(b, tag), gb...)
	}
	return appendStr(append(b, idRaw), v)
}

// id reads what appendID wrote.
func (r *binReader) id() string {
	switch r.byte1() {
	case idRaw:
		return r.str()
	case idGUID:
		return r.guid("")
	case idUnderGUID:
		return r.guid("_")
	}
	r.err = errShort
	return ""
}

// guid reads 16 bytes as a lower-case GUID after prefix.
func (r *binReader) guid(prefix string) string {
	if r.err != nil || len(r.b) < 16 {
		r.err = errShort
		return ""
	}
	const hexd = "0123456789abcdef"
	out := make([]byte, 0, len(prefix)+36)
	out = append(out, prefix...)
	for i, c := range r.b[:16] {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hexd[c>>4], hexd[c&15])
	}
	r.b = r.b[16:]
	return string(out)
}

// varint reads a signed varint.
func (r *binReader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errShort
		return 0
	}
	r.b = r.b[n:]
	return v
}

// strs reads a counted list of strings (nil when empty), each read by one.
func (r *binReader) strs(one func() string) []string {
	n := r.uvarint()
	if r.err != nil || n == 0 {
		return nil
	}
	if n > uint64(len(r.b)) { // every entry takes at least one byte
		r.err = errShort
		return nil
	}
	v := make([]string, n)
	for i := range v {
		v[i] = one()
	}
	return v
}

// unixNanoUTC is the instant n nanoseconds after the Unix epoch, in UTC.
func unixNanoUTC(n int64) time.Time { return time.Unix(0, n).UTC() }

// end checks that a value was read whole.
func (r *binReader) end() error {
	if r.err == nil && len(r.b) != 0 {
		r.err = errShort
	}
	return r.err
}

func (idpSession) binaryOnly()  {}
func (sealedGrant) binaryOnly() {}

// appendSealed writes the session: IDs as 16 bytes, times as Unix nanoseconds (read back in
// UTC), a NameID format of the SAML URNs without their common prefix.
func (sess idpSession) appendSealed(b []byte) ([]byte, bool) {
	b = append(b, sessionBinV1)
	b = appendID(appendID(b, sess.TenantID), sess.UserID)
	b = binary.AppendVarint(b, sess.AuthnInstant.UnixNano())
	b = appendID(b, sess.SID)
	b = binary.AppendVarint(b, sess.Expires.UnixNano())
	b = binary.AppendUvarint(b, uint64(len(sess.SAML)))
	for _, p := range sess.SAML {
		b = appendStr(appendID(b, p.AppID), p.NameID)
		if rest, ok := strings.CutPrefix(p.NameIDFormat, samlURNPrefix); ok {
			b = appendStr(append(b, 1), rest)
		} else {
			b = appendStr(append(b, 0), p.NameIDFormat)
		}
		b = appendID(b, p.SessionIndex)
	}
	b = binary.AppendUvarint(b, uint64(len(sess.Apps)))
	for _, a := range sess.Apps {
		b = appendID(b, a)
	}
	return appendBool(b, sess.MFA), true
}

// readSealed reads what appendSealed wrote.
func (sess *idpSession) readSealed(r *binReader) error {
	if r.byte1() != sessionBinV1 {
		return errShort
	}
	var v idpSession
	v.TenantID, v.UserID = r.id(), r.id()
	v.AuthnInstant = unixNanoUTC(r.varint())
	v.SID = r.id()
	v.Expires = unixNanoUTC(r.varint())
	if n := r.uvarint(); n > uint64(len(r.b)) {
		r.err = errShort
	} else if n > 0 {
		v.SAML = make([]samlParticipant, n)
		for i := range v.SAML {
			p := &v.SAML[i]
			p.AppID, p.NameID = r.id(), r.str()
			switch r.byte1() {
			case 0:
				p.NameIDFormat = r.str()
			case 1:
				p.NameIDFormat = samlURNPrefix + r.str()
			default:
				r.err = errShort
			}
			p.SessionIndex = r.id()
		}
	}
	v.Apps = r.strs(r.id)
	v.MFA = r.bool()
	if r.end() == nil {
		*sess = v
	}
	return r.err
}

// appendSealed writes the grant: IDs as 16 bytes, times in their binary form (zone kept, as
// JSON kept it), the rarely set fault as JSON.
func (w sealedGrant) appendSealed(b []byte) ([]byte, bool) {
	b = append(b, grantBinV1)
	for _, id := range []string{w.ID, w.App, w.AppTenant, w.Tenant, w.User} {
		b = appendID(b, id)
	}
	b = appendID(appendStr(b, w.UPN), w.SID)
	b = appendBool(appendTime(b, w.AuthTime), w.MFA)
	b = binary.AppendUvarint(b, uint64(len(w.Scopes)))
	for _, s := range w.Scopes {
		b = appendStr(b, s)
	}
	for _, s := range []string{w.Nonce, w.Redirect, w.Platform, w.Challenge, w.Method} {
		b = appendStr(b, s)
	}
	b = appendID(appendTime(b, w.Expires), w.Corr)
	b, ok := appendJSON(b, w.Fault, w.Fault == nil)
	if !ok {
		return nil, false
	}
	b = appendStr(appendStr(appendBool(b, w.V1), w.V1Res), w.IP)
	return b, true
}

// readSealed reads what appendSealed wrote.
func (w *sealedGrant) readSealed(r *binReader) error {
	if r.byte1() != grantBinV1 {
		return errShort
	}
	var v sealedGrant
	v.ID, v.App, v.AppTenant, v.Tenant, v.User = r.id(), r.id(), r.id(), r.id(), r.id()
	v.UPN, v.SID = r.str(), r.id()
	v.AuthTime, v.MFA = r.time(), r.bool()
	v.Scopes = r.strs(r.str)
	v.Nonce, v.Redirect, v.Platform, v.Challenge, v.Method = r.str(), r.str(), r.str(), r.str(), r.str()
	v.Expires, v.Corr = r.time(), r.id()
	r.json(&v.Fault)
	v.V1, v.V1Res, v.IP = r.bool(), r.str(), r.str()
	if r.end() == nil {
		*w = v
	}
	return r.err
}

package idp

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"slices"
	"time"
)

// The sign-in flow is sealed on every sign-in page and opened on every post of it, and its
// JSON (with the request's log entry and, for SAML, the request's XML) made reflection JSON
// the largest part of the sealing cost per sign-in. A flow of the protocols a sign-in mostly
// uses (SAML and the authorization endpoint) is therefore sealed in a binary form written
// and read by hand: length-prefixed strings in a fixed field order. The plaintext starts with
// binaryPlain, which no JSON text starts with, so unseal tells the two forms apart; any
// other flow, and every other sealed value, stays JSON. The rarely set parts of an Event
// (Fault, Truncated) are JSON inside the binary form.

// binaryPlain is the first byte of a binary sealed plaintext.
const binaryPlain = 0

// errShort is the reader's error for a binary value that ends early or is malformed.
var errShort = errors.New("idp: binary sealed value malformed")

// sealBinary is a value with a binary sealed form; ok false means it has none (seal writes
// JSON then).
type sealBinary interface {
	appendSealed(b []byte) (out []byte, ok bool)
}

// unsealBinary reads a value's binary sealed form.
type unsealBinary interface {
	readSealed(r *binReader) error
}

func appendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

func appendTime(b []byte, t time.Time) []byte {
	tb, err := t.MarshalBinary()
	if err != nil { // a zone offset that is not whole minutes: keep the instant, in UTC
		tb, _ = t.UTC().MarshalBinary()
	}
	return appendStr(b, string(tb))
}

// appendMap writes m's entries in key order, so that equal maps seal alike.
func appendMap(b []byte, m map[string]string) []byte {
	b = binary.AppendUvarint(b, uint64(len(m)))
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b = appendStr(appendStr(b, k), m[k])
	}
	return b
}

// appendJSON writes v's JSON, or an empty string when absent is true.
func appendJSON(b []byte, v any, absent bool) ([]byte, bool) {
	if absent {
		return appendStr(b, ""), true
	}
	j, err := json.Marshal(v)
	if err != nil {
		return nil, false
	}
	return appendStr(b, string(j)), true
}

// binReader reads a binary sealed form; the first error sticks.
type binReader struct {
	b   []byte
	err error
}

func (r *binReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errShort
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *binReader) bytes() []byte {
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.b)) {
		r.err = errShort
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *binReader) str() string { return string(r.bytes()) }

func (r *binReader) byte1() byte {
	if r.err != nil || len(r.b) == 0 {
		r.err = errShort
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *binReader) bool() bool { return r.byte1() == 1 }

func (r *binReader) time() time.Time {
	var t time.Time
	if b := r.bytes(); r.err == nil && t.UnmarshalBinary(b) != nil {
		r.err = errShort
	}
	return t
}

func (r *binReader) strMap() map[string]string {
	n := r.uvarint()
	if r.err != nil || n == 0 {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.err = errShort
		return nil
	}
	m := make(map[string]string, n)
	for i := uint64(0); i < n && r.err == nil; i++ {
		k := r.str()
		m[k] = r.str()
	}
	return m
}

// json reads a value appendJSON wrote into v (left alone when absent).
func (r *binReader) json(v any) {
	if b := r.bytes(); r.err == nil && len(b) > 0 && json.Unmarshal(b, v) != nil {
		r.err = errShort
	}
}

// appendEvent writes an Event (its log position excepted: a sealed event is not logged yet).
func appendEvent(b []byte, e *Event) ([]byte, bool) {
	for _, s := range []string{e.ID, e.CorrelationID, e.Context} {
		b = appendStr(b, s)
	}
	b = appendTime(b, e.Time)
	for _, s := range []string{e.TenantID, e.AppID, e.AppName, e.UserID, e.UserPrincipalName, e.Protocol, string(e.Kind), e.Binding} {
		b = appendStr(b, s)
	}
	b = appendMap(appendMap(b, e.Request), e.Response)
	b = appendStr(b, e.Status)
	b = binary.AppendVarint(b, int64(e.ErrorCode))
	b = appendStr(appendStr(b, e.FailureReason), e.Detail)
	b, ok := appendJSON(b, e.Fault, e.Fault == nil)
	if !ok {
		return nil, false
	}
	return appendJSON(b, e.Truncated, e.Truncated == nil)
}

func (r *binReader) event(e *Event) {
	e.ID, e.CorrelationID, e.Context = r.str(), r.str(), r.str()
	e.Time = r.time()
	e.TenantID, e.AppID, e.AppName, e.UserID, e.UserPrincipalName = r.str(), r.str(), r.str(), r.str(), r.str()
	e.Protocol, e.Kind, e.Binding = r.str(), EventKind(r.str()), r.str()
	e.Request, e.Response = r.strMap(), r.strMap()
	e.Status = r.str()
	if r.err == nil {
		v, n := binary.Varint(r.b)
		if n <= 0 {
			r.err = errShort
		} else {
			e.ErrorCode, r.b = int(v), r.b[n:]
		}
	}
	e.FailureReason, e.Detail = r.str(), r.str()
	r.json(&e.Fault)
	r.json(&e.Truncated)
}

// Resume kinds of a binary flow.
const (
	binResumeSAML = 1
	binResumeOIDC = 2
)

// appendSealed writes a flow whose resume is SAML or the authorization endpoint's; any
// other has no binary form.
func (h flowHandle) appendSealed(b []byte) ([]byte, bool) {
	res := h.Resume
	if res.WSFed != nil || res.Device != nil || res.Admin != nil || (res.SAML == nil) == (res.OIDC == nil) {
		return nil, false
	}
	for _, s := range []string{h.ID, h.TenantID, h.AppName, h.AppID, h.LoginHint, h.Correlation} {
		b = appendStr(b, s)
	}
	b = appendTime(b, h.Created)
	b = appendStr(b, h.Browser)
	if v := res.SAML; v != nil {
		b = append(b, binResumeSAML)
		for _, s := range []string{v.TenantID, v.AppID, v.RequestID, v.ACS, v.RelayState, v.NameIDFormat, v.Audience} {
			b = appendStr(b, s)
		}
		return appendEvent(b, &v.Event)
	}
	v := res.OIDC
	b = append(b, binResumeOIDC)
	for _, s := range []string{v.AppID, v.AppTenant, v.PathTenant, v.RedirectURI, v.Mode, v.State, v.Platform, v.ResponseType} {
		b = appendStr(b, s)
	}
	b = binary.AppendUvarint(b, uint64(len(v.Scopes)))
	for _, s := range v.Scopes {
		b = appendStr(b, s)
	}
	for _, s := range []string{v.Nonce, v.Challenge, v.Method} {
		b = appendStr(b, s)
	}
	b = appendBool(b, v.V1)
	b = appendStr(appendStr(appendStr(b, v.V1Resource), v.IP), v.Prompt)
	b = appendBool(appendBool(b, v.ConsentDone), v.MFADone)
	return appendEvent(b, &v.Event)
}

// readSealed reads what appendSealed wrote.
func (h *flowHandle) readSealed(r *binReader) error {
	h.ID, h.TenantID, h.AppName, h.AppID, h.LoginHint, h.Correlation = r.str(), r.str(), r.str(), r.str(), r.str(), r.str()
	h.Created = r.time()
	h.Browser = r.str()
	switch r.byte1() {
	case binResumeSAML:
		v := &samlResume{}
		v.TenantID, v.AppID, v.RequestID, v.ACS, v.RelayState, v.NameIDFormat, v.Audience = r.str(), r.str(), r.str(), r.str(), r.str(), r.str(), r.str()
		r.event(&v.Event)
		h.Resume = flowResume{SAML: v}
	case binResumeOIDC:
		v := &authzResume{}
		v.AppID, v.AppTenant, v.PathTenant, v.RedirectURI = r.str(), r.str(), r.str(), r.str()
		v.Mode, v.State, v.Platform, v.ResponseType = r.str(), r.str(), r.str(), r.str()
		if n := r.uvarint(); n > 0 && n <= uint64(len(r.b)) {
			v.Scopes = make([]string, n)
			for i := range v.Scopes {
				v.Scopes[i] = r.str()
			}
		} else if n > 0 {
			r.err = errShort
		}
		v.Nonce, v.Challenge, v.Method = r.str(), r.str(), r.str()
		v.V1 = r.bool()
		v.V1Resource, v.IP, v.Prompt = r.str(), r.str(), r.str()
		v.ConsentDone, v.MFADone = r.bool(), r.bool()
		r.event(&v.Event)
		h.Resume = flowResume{OIDC: v}
	default:
		r.err = errShort
	}
	if r.err == nil && len(r.b) != 0 {
		r.err = errShort
	}
	return r.err
}

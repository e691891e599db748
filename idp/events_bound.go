package idp

import (
	"maps"
	"slices"
	"strings"
	"unicode/utf8"
)

// The sign-in log keeps what requests carried, and requests are hostile input: a 900 KB appid
// once added ~1 MiB to the heap per request, never freed, and the log endpoint then answered
// hundreds of MB. Every string an event holds is bounded when the event is recorded — whoever
// filled it in — and the event says how long each cut value was, so that a harness still sees
// that (and by how much) an SP sent an oversized value.

// Bounds on what one event keeps.
const (
	// maxLoggedValue bounds one string of an event. Nothing a well-behaved SP sends comes
	// near it (entity IDs, reply URLs, RelayState, UPNs are well under 1 KiB).
	maxLoggedValue = 1 << 10
	// maxLoggedXML bounds the request's XML (Request["XML"]): an AuthnRequest signed by
	// HTTP-POST, with its certificate, is 4–6 KiB.
	maxLoggedXML = 8 << 10
	// maxLoggedToken bounds an ID token the server issued (Response["id_token_jwt"]), which a
	// harness reads back whole; the server's own tokens are 1–2 KiB.
	maxLoggedToken = 16 << 10
	// maxLoggedKeys bounds the entries of Request and Response (an authorize request logs
	// every parameter it got).
	maxLoggedKeys = 64
	// maxLoggedKey bounds one map key.
	maxLoggedKey = 64
	// maxLoggedEvent bounds all the strings of one event together, so that the log's size is
	// at most Retention.Events times this, whatever the requests carried.
	maxLoggedEvent = 24 << 10
)

// truncatedMark ends a cut value.
const truncatedMark = "…"

// bound cuts the event's strings to the bounds above and records each cut value's original
// length in Truncated. Cut values are copies: a kept prefix must not pin a huge request.
func (e *Event) bound() {
	b := bounder{e: e, budget: maxLoggedEvent}
	for _, f := range []struct {
		name string
		p    *string
	}{
		{"id", &e.ID}, {"correlationId", &e.CorrelationID}, {"context", &e.Context},
		{"tenantId", &e.TenantID}, {"appId", &e.AppID}, {"appDisplayName", &e.AppName},
		{"userId", &e.UserID}, {"userPrincipalName", &e.UserPrincipalName},
		{"protocol", &e.Protocol}, {"binding", &e.Binding}, {"status", &e.Status},
		{"failureReason", &e.FailureReason}, {"detail", &e.Detail},
	} {
		b.cut(f.name, f.p, maxLoggedValue)
	}
	e.Request = b.boundMap("request", e.Request)
	e.Response = b.boundMap("response", e.Response)
}

// bounder cuts one event's strings against the event's budget.
type bounder struct {
	e      *Event
	budget int // bytes the event's strings may still take
}

// cut bounds *p to limit bytes and to what is left of the budget.
func (b *bounder) cut(name string, p *string, limit int) {
	n := len(*p)
	limit = max(min(limit, b.budget), 0)
	if n <= limit {
		b.budget -= n
		return
	}
	*p = cutString(*p, limit)
	b.budget -= len(*p)
	b.truncated(name, n)
}

func (b *bounder) truncated(name string, n int) {
	if b.e.Truncated == nil {
		b.e.Truncated = map[string]int{}
	}
	b.e.Truncated[name] = n
}

// boundMap bounds a Request or Response map: its number of entries, its keys and its values.
// A map within its bounds (every map a well-behaved SP causes) is kept as it is, without a
// copy; otherwise the result is a new map.
func (b *bounder) boundMap(name string, m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	fits, total := len(m) <= maxLoggedKeys, 0
	for k, v := range m {
		total += len(v)
		if len(k) > maxLoggedKey || len(v) > valueLimit(k) {
			fits = false
		}
	}
	if fits && total <= b.budget {
		b.budget -= total
		return m
	}
	out := make(map[string]string, min(len(m), maxLoggedKeys))
	for _, k := range slices.Sorted(maps.Keys(m)) { // the same entries kept on every run
		v := m[k]
		if len(out) == maxLoggedKeys {
			b.truncated(name+".#keys", len(m))
			break
		}
		if len(k) > maxLoggedKey {
			k = cutString(k, maxLoggedKey)
		}
		b.cut(name+"."+k, &v, valueLimit(k))
		out[k] = v
	}
	return out
}

// valueLimit is the bound on the value of a Request or Response entry.
func valueLimit(key string) int {
	switch key {
	case "XML":
		return maxLoggedXML
	case "id_token_jwt":
		return maxLoggedToken
	}
	return maxLoggedValue
}

// cutString returns a copy of s's first at most n bytes, cut on a character boundary, with
// truncatedMark. n < len(s).
func cutString(s string, n int) string {
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return strings.Clone(s[:n]) + truncatedMark
}

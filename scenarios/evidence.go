package scenarios

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/beevik/etree"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/reports"
)

// addPayloads decodes the protocol messages the check's browsers carried (SAML requests and
// responses) and the ID tokens the IdP issued, and marks what the fault changed.
func (cr *checkRun) addPayloads() {
	var hl []string
	for _, m := range cr.minted() {
		hl = append(hl, highlightsOf(m.Changed)...)
	}
	seen := map[string]bool{}
	add := func(kind, format, decoded string) {
		if decoded == "" || seen[decoded] {
			return
		}
		seen[decoded] = true
		p := reports.Payload{Kind: kind, Format: format, Decoded: decoded}
		for _, h := range hl {
			if strings.Contains(decoded, h) && !contains(p.Highlights, h) {
				p.Highlights = append(p.Highlights, h)
			}
		}
		cr.res.Payloads = append(cr.res.Payloads, p)
	}
	for _, t := range cr.tabs {
		for _, d := range t.trace() {
			var vals url.Values
			redirect := false
			if d.Method == "POST" {
				vals, _ = url.ParseQuery(d.PostData)
			} else if u, err := url.Parse(d.URL); err == nil {
				vals, redirect = u.Query(), true
			}
			for _, k := range []string{"SAMLRequest", "SAMLResponse"} {
				v := vals.Get(k)
				if v == "" {
					continue
				}
				var b []byte
				var err error
				if redirect {
					b, err = idp.DecodeSAMLRequest(v, true)
				} else {
					b, err = base64.StdEncoding.DecodeString(v)
				}
				if err != nil {
					continue
				}
				kind := k
				if bytes.Contains(b, []byte("LogoutRequest")) {
					kind = "LogoutRequest"
				} else if bytes.Contains(b, []byte("LogoutResponse")) {
					kind = "LogoutResponse"
				}
				add(kind, "xml", prettyXML(b))
			}
		}
	}
	for _, e := range cr.events() {
		if tok := e.Response["id_token_jwt"]; tok != "" {
			add("id_token", "json", decodeJWT(tok))
		}
		if e.Kind == idp.EventUserInfo && len(e.Response) > 0 {
			b, _ := json.MarshalIndent(e.Response, "", "  ")
			add("userinfo", "json", string(b))
		}
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// quoted finds the values a fault's change descriptions name: quoted strings and URLs.
var quoted = regexp.MustCompile(`"([^"]{2,200})"|'([^']{2,200})'|“([^”]{2,200})”|(https?://[^\s,;)]+)`)

func highlightsOf(changed []string) []string {
	var out []string
	for _, c := range changed {
		for _, m := range quoted.FindAllStringSubmatch(c, -1) {
			for _, g := range m[1:] {
				if g != "" {
					out = append(out, g)
					break
				}
			}
		}
	}
	return out
}

// prettyXML indents an XML document for reading (the signature is not re-checked on it).
func prettyXML(b []byte) string {
	doc := etree.NewDocument()
	doc.ReadSettings.Permissive = true
	if err := doc.ReadFromBytes(b); err != nil {
		return string(b)
	}
	doc.Indent(2)
	s, err := doc.WriteToString()
	if err != nil {
		return string(b)
	}
	return s
}

// decodeJWT shows a JWT's header and claims as indented JSON (the signature is left out).
func decodeJWT(tok string) string {
	parts := strings.Split(tok, ".")
	if len(parts) < 2 {
		return ""
	}
	var out []string
	for _, p := range parts[:2] {
		b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(p, "="))
		if err != nil {
			return ""
		}
		var v any
		if json.Unmarshal(b, &v) != nil {
			return ""
		}
		ind, _ := json.MarshalIndent(v, "", "  ")
		out = append(out, string(ind))
	}
	return "// header\n" + out[0] + "\n// claims\n" + out[1]
}

// RecordEvidence is the evidence as a report keeps it (reports.Check.Evidence), for tools
// that judge recorded evidence.
func RecordEvidence(ev Evidence) json.RawMessage { return ev.record() }

// record is the evidence as the report keeps it: long page texts and the raw XML the events
// repeat (the payloads show it decoded) are cut, so a report stays readable; what the judge
// reads is kept whole.
func (ev Evidence) record() json.RawMessage {
	cut := func(p *Page) {
		if len(p.Text) > 4000 {
			p.Text = p.Text[:4000]
		}
	}
	ev.Pages = slices.Clone(ev.Pages)
	for i := range ev.Pages {
		cut(&ev.Pages[i])
	}
	if ev.Logout != nil {
		lo := *ev.Logout
		cut(&lo.Page)
		if lo.After != nil {
			a := *lo.After
			cut(&a)
			lo.After = &a
		}
		ev.Logout = &lo
	}
	evs := make([]idp.Event, len(ev.Events))
	for i, e := range ev.Events {
		if _, ok := e.Request["XML"]; ok {
			e.Request = maps.Clone(e.Request)
			delete(e.Request, "XML")
		}
		evs[i] = e
	}
	ev.Events = evs
	b, err := json.Marshal(ev)
	if err != nil {
		return nil
	}
	return b
}

// EvidenceOf reads the evidence a report kept for a check (nil when it has none).
func EvidenceOf(c reports.Check) (*Evidence, error) {
	if len(c.Evidence) == 0 {
		return nil, nil
	}
	var ev Evidence
	if err := json.Unmarshal(c.Evidence, &ev); err != nil {
		return nil, fmt.Errorf("%s: evidence: %w", c.ID, err)
	}
	return &ev, nil
}

// RecordedCheck is a fault check's verdict kept with the evidence it was judged from and the
// target's override, so that the judge can be replayed over it without a browser or the SP
// (scenarios/testdata/real-sps holds those of the real SPs).
type RecordedCheck struct {
	ID       string          `json:"id"`
	Status   reports.Status  `json:"status"`
	Override *Override       `json:"override,omitempty"`
	Evidence json.RawMessage `json:"evidence"`
}

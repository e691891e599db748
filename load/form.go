package load

import (
	"bytes"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"golang.org/x/net/html"
)

// page is what the driver reads from an HTML page: its forms, whether it submits a form by
// itself, and any error it shows.
type page struct {
	forms []*form
	// autoSubmit: a script or onload handler calls .submit() (an auto-posting form).
	autoSubmit bool
	title      string
	// text is the visible text (no script/style), whitespace collapsed, capped.
	text string
	// errCode is the first data-aadsts attribute; errText the text of the first element
	// marked as an error (data-aadsts, class "error", id ending in "error").
	errCode, errText string
}

// form is an HTML form with its fields as a browser would submit them (no button).
type form struct {
	id     string
	action string // resolved against the page URL
	method string // GET or POST
	fields []field
}

// field is one successful control of a form.
type field struct {
	name, value string
	// typ is the input type (lower case), "textarea" or "select".
	typ string
}

// has reports whether the form has a field named name.
func (f *form) has(name string) bool {
	for _, fl := range f.fields {
		if fl.name == name {
			return true
		}
	}
	return false
}

// get returns the value of the first field named name.
func (f *form) get(name string) string {
	for _, fl := range f.fields {
		if fl.name == name {
			return fl.value
		}
	}
	return ""
}

// values encodes the fields in document order.
func (f *form) values() url.Values {
	v := url.Values{}
	for _, fl := range f.fields {
		v.Add(fl.name, fl.value)
	}
	return v
}

// isUserFieldName reports whether name is what a user name or email field goes by.
func isUserFieldName(name string) bool {
	switch strings.ToLower(name) {
	case "login", "loginfmt", "username", "user", "email", "userid", "user_id", "identifier", "j_username", "uid", "upn":
		return true
	}
	return false
}

// isPassword reports whether fl is a password field.
func (fl field) isPassword() bool { return fl.typ == "password" }

// isUser reports whether fl is a visible user name / email field.
func (fl field) isUser() bool {
	if fl.typ == "hidden" || fl.typ == "password" || fl.typ == "checkbox" || fl.typ == "radio" {
		return false
	}
	return fl.typ == "email" || isUserFieldName(fl.name)
}

// credentialKind says which credentials a form asks for: LoginPassword when it has a
// password field, LoginForm when it has a visible user field, else LoginNone.
func (f *form) credentialKind() LoginKind {
	kind := LoginNone
	for _, fl := range f.fields {
		if fl.isPassword() {
			return LoginPassword
		}
		if fl.isUser() {
			kind = LoginForm
		}
	}
	return kind
}

// fill types user into the user fields and password into the password fields.
func (f *form) fill(user, password string) {
	for i := range f.fields {
		switch fl := &f.fields[i]; {
		case fl.isPassword():
			fl.value = password
		case fl.isUser():
			fl.value = user
		}
	}
}

// request builds the HTTP request that submits the form.
func (f *form) request() (*http.Request, error) {
	if f.method == http.MethodGet {
		u, err := url.Parse(f.action)
		if err != nil {
			return nil, err
		}
		u.RawQuery = f.values().Encode()
		return http.NewRequest(http.MethodGet, u.String(), nil)
	}
	req, err := http.NewRequest(http.MethodPost, f.action, strings.NewReader(f.values().Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req, nil
}

// maxPageText caps the text kept from a page.
const maxPageText = 2000

// parsePage reads an HTML page. base resolves form actions (nil: kept as written).
func parsePage(base *url.URL, body []byte) *page {
	p := &page{autoSubmit: bytes.Contains(body, []byte(".submit()"))}
	z := html.NewTokenizer(bytes.NewReader(body))
	var (
		text      strings.Builder
		cur       *form
		skip      string // inside script/style: text is not visible
		inTitle   bool
		textarea  *field
		sel       *field // the open <select>
		selChosen bool   // an option of sel is selected
		selFirst  bool   // sel has had its first option
		option    *field // the open <option> without a value attribute: its text is the value
		optionSel bool
		errTag    string // the element whose text is the error text
		errDepth  int
		errText   strings.Builder
	)
	closeOption := func() {
		if option == nil || sel == nil {
			option = nil
			return
		}
		v := strings.Join(strings.Fields(option.value), " ")
		if optionSel || !selFirst {
			sel.value = v
		}
		selFirst = true
		option = nil
	}
	closeSelect := func() {
		closeOption()
		if sel != nil && cur != nil && sel.name != "" && selFirst {
			cur.fields = append(cur.fields, *sel)
		}
		sel = nil
	}
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break // io.EOF, or a tokenizer error: keep what was read
		}
		tok := z.Token()
		switch tt {
		case html.StartTagToken, html.SelfClosingTagToken:
			a := attrs(tok.Attr)
			if errTag != "" && tok.Data == errTag && tt == html.StartTagToken {
				errDepth++
			}
			if errTag == "" && p.errText == "" && isErrorElement(a) && tt == html.StartTagToken {
				errTag, errDepth = tok.Data, 1
			}
			if c := a["data-aadsts"]; c != "" && p.errCode == "" {
				p.errCode = c
			}
			switch tok.Data {
			case "script", "style":
				if tt == html.StartTagToken {
					skip = tok.Data
				}
			case "title":
				inTitle = tt == html.StartTagToken
			case "form":
				cur = &form{id: a["id"], method: strings.ToUpper(a["method"]), action: a["action"]}
				if cur.method != http.MethodPost {
					cur.method = http.MethodGet
				}
				if base != nil {
					if u, err := base.Parse(cur.action); err == nil {
						cur.action = u.String()
					}
				}
				p.forms = append(p.forms, cur)
			case "input":
				if cur == nil || a["name"] == "" || hasAttr(tok.Attr, "disabled") {
					break
				}
				typ := strings.ToLower(a["type"])
				if typ == "" {
					typ = "text"
				}
				switch typ {
				case "submit", "button", "reset", "image", "file":
					continue
				case "checkbox", "radio":
					if !hasAttr(tok.Attr, "checked") {
						continue
					}
					if _, ok := a["value"]; !ok {
						a["value"] = "on"
					}
				}
				cur.fields = append(cur.fields, field{name: a["name"], value: a["value"], typ: typ})
			case "textarea":
				if cur != nil && a["name"] != "" && tt == html.StartTagToken {
					cur.fields = append(cur.fields, field{name: a["name"], typ: "textarea"})
					textarea = &cur.fields[len(cur.fields)-1]
				}
			case "select":
				closeSelect()
				if tt == html.StartTagToken && !hasAttr(tok.Attr, "disabled") {
					sel, selChosen, selFirst = &field{name: a["name"], typ: "select"}, false, false
				}
			case "option":
				closeOption()
				if sel == nil {
					break
				}
				chosen := hasAttr(tok.Attr, "selected") && !selChosen
				if chosen {
					selChosen = true
				}
				if v, ok := a["value"]; ok {
					if chosen || !selFirst {
						sel.value = v
					}
					selFirst = true
				} else if tt == html.StartTagToken {
					option, optionSel = &field{}, chosen
				}
			}
		case html.EndTagToken:
			if errTag != "" && tok.Data == errTag {
				if errDepth--; errDepth == 0 {
					errTag = ""
					p.errText = collapse(errText.String())
				}
			}
			switch tok.Data {
			case "script", "style":
				skip = ""
			case "title":
				inTitle = false
			case "form":
				closeSelect()
				cur = nil
			case "textarea":
				textarea = nil
			case "option":
				closeOption()
			case "select":
				closeSelect()
			}
		case html.TextToken:
			switch {
			case textarea != nil:
				textarea.value += strings.TrimPrefix(tok.Data, "\n")
				continue
			case option != nil:
				option.value += tok.Data
			case skip != "":
				continue
			case inTitle:
				p.title += tok.Data
				continue
			}
			if errTag != "" {
				errText.WriteString(tok.Data)
				errText.WriteByte(' ')
			}
			if text.Len() < 4*maxPageText {
				text.WriteString(tok.Data)
				text.WriteByte(' ')
			}
		}
	}
	closeSelect()
	if errTag != "" && p.errText == "" {
		p.errText = collapse(errText.String())
	}
	p.title = collapse(p.title)
	p.text = capString(collapse(text.String()), maxPageText)
	return p
}

// isErrorElement reports whether an element's attributes mark it as an error message.
func isErrorElement(a map[string]string) bool {
	if _, ok := a["data-aadsts"]; ok {
		return true
	}
	for _, c := range strings.Fields(a["class"]) {
		if strings.EqualFold(c, "error") || strings.EqualFold(c, "alert-danger") {
			return true
		}
	}
	id := strings.ToLower(a["id"])
	return strings.HasSuffix(id, "error") || strings.HasPrefix(id, "error")
}

func attrs(list []html.Attribute) map[string]string {
	m := make(map[string]string, len(list))
	for _, a := range list {
		if _, dup := m[a.Key]; !dup {
			m[a.Key] = a.Val
		}
	}
	return m
}

func hasAttr(list []html.Attribute, key string) bool {
	for _, a := range list {
		if a.Key == key {
			return true
		}
	}
	return false
}

func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }

func capString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n-- // do not cut a UTF-8 sequence
	}
	return s[:n] + "…"
}

// aadstsMessage matches "AADSTS50126: message" in a page's text.
var aadstsMessage = regexp.MustCompile(`AADSTS\d+:[^\n]*?(?:\.(?:\s|$)|$)`)

// problem describes what an unexpected page shows: its AADSTS error, else its error
// element, else its title and text.
func (p *page) problem() string {
	if m := aadstsMessage.FindString(p.errText); m != "" {
		return strings.TrimSpace(m)
	}
	if p.errCode != "" {
		msg := p.errText
		if msg == "" {
			if m := aadstsMessage.FindString(p.text); m != "" {
				return strings.TrimSpace(m)
			}
		}
		return capString("AADSTS"+p.errCode+": "+msg, 300)
	}
	if m := aadstsMessage.FindString(p.text); m != "" {
		return strings.TrimSpace(m)
	}
	if p.errText != "" {
		return capString(p.errText, 300)
	}
	s := p.text
	if p.title != "" && !strings.HasPrefix(s, p.title) {
		s = p.title + ": " + s
	}
	return capString(s, 300)
}

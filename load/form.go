package load

import (
	"bytes"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
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
//
// It reads the tokenizer's raw tag names, attributes and text rather than html.Token: the
// same lower-cased names and unescaped values, without a string for every name and text
// node it does not keep (script and style text, tag names html/atom knows) — the driver
// parses two or three pages per sign-in on the machine the server runs on.
func parsePage(base *url.URL, body []byte) *page {
	pp := &pageParser{p: &page{autoSubmit: bytes.Contains(body, []byte(".submit()"))}, base: base}
	z := html.NewTokenizer(bytes.NewReader(body))
	var list attrList // reused: what startTag keeps of it, it copies
	for {
		switch tt := z.Next(); tt {
		case html.ErrorToken:
			return pp.finish() // io.EOF, or a tokenizer error: keep what was read
		case html.StartTagToken, html.SelfClosingTagToken:
			name, more := z.TagName()
			list = list[:0]
			for more {
				var k, v []byte
				k, v, more = z.TagAttr()
				list = append(list, html.Attribute{Key: atom.String(k), Val: string(v)})
			}
			pp.startTag(atomString(name), list, tt == html.StartTagToken)
		case html.EndTagToken:
			name, _ := z.TagName()
			pp.endTag(atomString(name))
		case html.TextToken:
			if pp.skip == "" || pp.textarea != nil || pp.option != nil {
				pp.textToken(string(z.Text()))
			}
		}
	}
}

// atomString is b as a string, without a copy when it is a name html/atom knows.
func atomString(b []byte) string {
	if a := atom.Lookup(b); a != 0 {
		return a.String()
	}
	return string(b)
}

// pageParser is parsePage's state between tokens: a tokenizer reports the elements one
// tag at a time, so what is open (a form, a select, an option, a textarea, the error
// element) has to be remembered until it closes.
type pageParser struct {
	p    *page
	base *url.URL

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
}

// startTag reads a start tag (open) or a self-closing one named name.
func (pp *pageParser) startTag(name string, a attrList, open bool) {
	p := pp.p
	if pp.errTag != "" && name == pp.errTag && open {
		pp.errDepth++
	}
	if pp.errTag == "" && p.errText == "" && isErrorElement(a) && open {
		pp.errTag, pp.errDepth = name, 1
	}
	if c := a.val("data-aadsts"); c != "" && p.errCode == "" {
		p.errCode = c
	}
	switch name {
	case "script", "style":
		if open {
			pp.skip = name
		}
	case "title":
		pp.inTitle = open
	case "form":
		pp.cur = &form{id: a.val("id"), method: strings.ToUpper(a.val("method")), action: a.val("action")}
		if pp.cur.method != http.MethodPost {
			pp.cur.method = http.MethodGet
		}
		if pp.base != nil {
			if u, err := pp.base.Parse(pp.cur.action); err == nil {
				pp.cur.action = u.String()
			}
		}
		p.forms = append(p.forms, pp.cur)
	case "input":
		pp.input(a)
	case "textarea":
		if pp.cur != nil && a.val("name") != "" && open {
			pp.cur.fields = append(pp.cur.fields, field{name: a.val("name"), typ: "textarea"})
			pp.textarea = &pp.cur.fields[len(pp.cur.fields)-1]
		}
	case "select":
		pp.closeSelect()
		if open && !a.has("disabled") {
			pp.sel, pp.selChosen, pp.selFirst = &field{name: a.val("name"), typ: "select"}, false, false
		}
	case "option":
		pp.openOption(a, open)
	}
}

// input adds an <input> to the open form as a browser would submit it: named and enabled,
// no buttons or files, a checkbox or radio only when checked ("on" without a value).
func (pp *pageParser) input(a attrList) {
	name := a.val("name")
	if pp.cur == nil || name == "" || a.has("disabled") {
		return
	}
	value, hasValue := a.get("value")
	typ := strings.ToLower(a.val("type"))
	if typ == "" {
		typ = "text"
	}
	switch typ {
	case "submit", "button", "reset", "image", "file":
		return
	case "checkbox", "radio":
		if !a.has("checked") {
			return
		}
		if !hasValue {
			value = "on"
		}
	}
	pp.cur.fields = append(pp.cur.fields, field{name: name, value: value, typ: typ})
}

// openOption reads an <option> of the open select: the select's value is the first
// selected option's, else the first option's. An option without a value attribute takes
// its text, so it stays open until its end tag or the next option.
func (pp *pageParser) openOption(a attrList, open bool) {
	pp.closeOption()
	if pp.sel == nil {
		return
	}
	chosen := a.has("selected") && !pp.selChosen
	if chosen {
		pp.selChosen = true
	}
	if v, ok := a.get("value"); ok {
		if chosen || !pp.selFirst {
			pp.sel.value = v
		}
		pp.selFirst = true
	} else if open {
		pp.option, pp.optionSel = &field{}, chosen
	}
}

// closeOption ends the open option without a value attribute, its text now complete.
func (pp *pageParser) closeOption() {
	if pp.option == nil || pp.sel == nil {
		pp.option = nil
		return
	}
	v := strings.Join(strings.Fields(pp.option.value), " ")
	if pp.optionSel || !pp.selFirst {
		pp.sel.value = v
	}
	pp.selFirst = true
	pp.option = nil
}

// closeSelect ends the open select, adding it to the open form when it has a name and an
// option.
func (pp *pageParser) closeSelect() {
	pp.closeOption()
	if pp.sel != nil && pp.cur != nil && pp.sel.name != "" && pp.selFirst {
		pp.cur.fields = append(pp.cur.fields, *pp.sel)
	}
	pp.sel = nil
}

// endTag reads the end tag of an element named name.
func (pp *pageParser) endTag(name string) {
	if pp.errTag != "" && name == pp.errTag {
		if pp.errDepth--; pp.errDepth == 0 {
			pp.errTag = ""
			pp.p.errText = collapse(pp.errText.String())
		}
	}
	switch name {
	case "script", "style":
		pp.skip = ""
	case "title":
		pp.inTitle = false
	case "form":
		pp.closeSelect()
		pp.cur = nil
	case "textarea":
		pp.textarea = nil
	case "option":
		pp.closeOption()
	case "select":
		pp.closeSelect()
	}
}

// textToken reads text: a textarea's value, an option's, the title; else visible text
// (not in a script or style), kept for the page's text and, inside the error element, its
// error text.
func (pp *pageParser) textToken(data string) {
	switch {
	case pp.textarea != nil:
		pp.textarea.value += strings.TrimPrefix(data, "\n")
		return
	case pp.option != nil:
		pp.option.value += data
	case pp.skip != "":
		return
	case pp.inTitle:
		pp.p.title += data
		return
	}
	if pp.errTag != "" {
		pp.errText.WriteString(data)
		pp.errText.WriteByte(' ')
	}
	if pp.text.Len() < 4*maxPageText {
		pp.text.WriteString(data)
		pp.text.WriteByte(' ')
	}
}

// finish closes what the page left open and returns the page.
func (pp *pageParser) finish() *page {
	p := pp.p
	pp.closeSelect()
	if pp.errTag != "" && p.errText == "" {
		p.errText = collapse(pp.errText.String())
	}
	p.title = collapse(p.title)
	p.text = capString(collapse(pp.text.String()), maxPageText)
	return p
}

// isErrorElement reports whether an element's attributes mark it as an error message.
func isErrorElement(a attrList) bool {
	if a.has("data-aadsts") {
		return true
	}
	for _, c := range strings.Fields(a.val("class")) {
		if strings.EqualFold(c, "error") || strings.EqualFold(c, "alert-danger") {
			return true
		}
	}
	id := strings.ToLower(a.val("id"))
	return strings.HasSuffix(id, "error") || strings.HasPrefix(id, "error")
}

// attrList is a tag's attributes in document order, keys lower case and values unescaped;
// of duplicate keys the first counts, as in a browser. A tag has a handful: a scan beats a
// map.
type attrList []html.Attribute

// get returns the value of the attribute key and whether the tag has it.
func (l attrList) get(key string) (string, bool) {
	for _, a := range l {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

// val is the value of the attribute key, "" when absent.
func (l attrList) val(key string) string {
	v, _ := l.get(key)
	return v
}

// has reports whether the tag has the attribute key.
func (l attrList) has(key string) bool {
	_, ok := l.get(key)
	return ok
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

package idp

import (
	"bytes"

	"github.com/beevik/etree"
)

// writeXML serialises doc as etree's WriteTo does with default settings (same tags,
// attribute order, quoting and escaping of & < > ' "), except that it also writes CR in
// text and TAB, LF and CR in attribute values as character references, as C14N does.
// etree writes them raw, and a parser reads raw ones back changed (CR as LF, TAB/LF/CR in
// attributes as spaces), so what a verifier canonicalises would no longer be what was
// signed. The direct writer (appendEsc's sent modes) escapes the same way.
func writeXML(doc *etree.Document) []byte {
	var buf bytes.Buffer
	writeXMLTo(&buf, doc)
	return buf.Bytes()
}

// writeXMLTo appends doc's serialisation (see writeXML) to buf.
func writeXMLTo(buf *bytes.Buffer, doc *etree.Document) {
	for _, c := range doc.Child {
		writeToken(buf, c)
	}
}

// writeToken writes one token; elements and text are escaped here, the rest (comments,
// directives, processing instructions, CDATA) carry no escapes and are left to etree.
func writeToken(buf *bytes.Buffer, t etree.Token) {
	switch t := t.(type) {
	case *etree.Element:
		buf.WriteByte('<')
		buf.WriteString(t.FullTag())
		for _, a := range t.Attr {
			buf.WriteByte(' ')
			buf.WriteString(a.FullKey())
			buf.WriteString(`="`)
			buf.Write(appendEsc(buf.AvailableBuffer(), a.Value, escSentAttr))
			buf.WriteByte('"')
		}
		if len(t.Child) == 0 {
			buf.WriteString("/>")
			return
		}
		buf.WriteByte('>')
		for _, c := range t.Child {
			writeToken(buf, c)
		}
		buf.WriteString("</")
		buf.WriteString(t.FullTag())
		buf.WriteByte('>')
	case *etree.CharData:
		if t.IsCData() {
			t.WriteTo(buf, &etree.WriteSettings{})
			return
		}
		buf.Write(appendEsc(buf.AvailableBuffer(), t.Data, escSentText))
	default:
		t.WriteTo(buf, &etree.WriteSettings{})
	}
}

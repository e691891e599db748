package scenarios

import (
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/ssoharness/ssoharness/idp"
)

// name is one way a page can name a directory user.
type name struct {
	value string // as the page would show it
	upn   string // the user it names
	how   string // "UPN", "mail", "object ID", "NameID", "sub", "display name"
}

// identityNames are the names a signed-in page may show for the directory's users, strongest
// first within equal length: UPN, mail, object ID, the NameID or sub the IdP sent in this
// check (transient and persistent values too), and display name.
type identityNames []name

// identities collects the names of every user of the directory, and the NameIDs and subs
// the IdP's events of this check sent for them.
func identities(tenants []*idp.Tenant, events []idp.Event) identityNames {
	var out identityNames
	add := func(v, upn, how string) {
		if v = strings.TrimSpace(v); len(v) >= 3 && upn != "" {
			out = append(out, name{v, upn, how})
		}
	}
	byUPN := map[string]string{}
	for _, t := range tenants {
		for _, u := range t.Users {
			byUPN[strings.ToLower(u.UserPrincipalName)] = u.UserPrincipalName
			add(u.UserPrincipalName, u.UserPrincipalName, "UPN")
			add(u.Mail, u.UserPrincipalName, "mail")
			add(u.ID, u.UserPrincipalName, "object ID")
		}
	}
	for _, e := range events {
		if e.Fault != nil && e.Fault.Decoy != "" {
			// What a fooled SP signs in instead: no directory user, named as it is.
			add(e.Fault.Decoy, e.Fault.Decoy, "the fault's decoy")
		}
		upn := byUPN[strings.ToLower(e.UserPrincipalName)]
		if upn == "" {
			continue
		}
		add(e.Response["NameID"], upn, "NameID")
		if c := jwtClaims(e.Response["id_token_jwt"]); c != nil {
			if s, ok := c["sub"].(string); ok {
				add(s, upn, "sub")
			}
		}
	}
	for _, t := range tenants {
		for _, u := range t.Users {
			// Display names are the weakest: only a whole, distinctive one counts.
			if strings.ContainsAny(u.DisplayName, " .") {
				add(u.DisplayName, u.UserPrincipalName, "display name")
			}
		}
	}
	return out
}

// find is the user the text names, the longest name first (so B.Simon@contoso.com is not
// taken for a shorter name), with what matched and how.
func (ns identityNames) find(text string) (upn, shown, how string) {
	best := name{}
	for _, n := range ns {
		if len(n.value) > len(best.value) && containsWord(text, n.value) {
			best = n
		}
	}
	return best.upn, best.value, best.how
}

// resolve is the user a captured identity names exactly ("" when none).
func (ns identityNames) resolve(captured string) string {
	for _, n := range ns {
		if strings.EqualFold(n.value, captured) {
			return n.upn
		}
	}
	return ""
}

// containsWord reports whether text contains name not followed by more of an address
// (so "B.Simon@contoso" does not count as "B.Simon@contoso.com", nor the reverse).
func containsWord(text, name string) bool {
	lt, ln := strings.ToLower(text), strings.ToLower(name)
	for i := 0; ; {
		j := strings.Index(lt[i:], ln)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(ln)
		before := start == 0 || !isNameByte(lt[start-1])
		after := end >= len(lt) || !strings.ContainsRune("abcdefghijklmnopqrstuvwxyz0123456789.-_@", rune(lt[end])) ||
			(lt[end] == '.' && (end+1 >= len(lt) || !isAlnum(lt[end+1])))
		if before && after {
			return true
		}
		i = end
	}
}

func isNameByte(b byte) bool { return isAlnum(b) || b == '.' || b == '-' || b == '_' }

func isAlnum(b byte) bool { return b >= 'a' && b <= 'z' || b >= '0' && b <= '9' }

// jwtClaims decodes a JWT's claims (nil when it is not one); the signature is not checked.
func jwtClaims(tok string) map[string]any {
	parts := strings.Split(tok, ".")
	if len(parts) < 2 {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	return m
}

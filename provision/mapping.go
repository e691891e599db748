package provision

import (
	"fmt"
	"strings"

	"github.com/ssoharness/ssoharness/idp"
)

// Values are a user's mapped attributes by SCIM path (userName, name.givenName,
// emails[type eq "work"].value, urn:…:enterprise:2.0:User:department), every value a string;
// active is "True" or "False". An absent or empty value is not sent (Entra omits nulls).
type Values map[string]string

// DefaultUserMappings are the rows of Entra's default "Provision Microsoft Entra ID Users"
// mapping of a non-gallery SCIM app, target ← source. Sources the mock's directory does not
// hold yet map to nothing and are left out of requests (see sourceValue).
var DefaultUserMappings = []idp.AttributeMapping{
	{Target: "userName", Source: "userPrincipalName"},
	// active ← Switch([IsSoftDeleted], , "False", "True", "True", "False"): see userValues.
	{Target: "active", Source: "accountEnabled"},
	{Target: "displayName", Source: "displayName"},
	{Target: "title", Source: "jobTitle"},
	{Target: `emails[type eq "work"].value`, Source: "mail"},
	{Target: "preferredLanguage", Source: "preferredLanguage"},
	{Target: "name.givenName", Source: "givenName"},
	{Target: "name.familyName", Source: "surname"},
	{Target: "name.formatted", Source: "Join(\" \", [givenName], [surname])"},
	{Target: `addresses[type eq "work"].formatted`, Source: "physicalDeliveryOfficeName"},
	{Target: `addresses[type eq "work"].streetAddress`, Source: "streetAddress"},
	{Target: `addresses[type eq "work"].locality`, Source: "city"},
	{Target: `addresses[type eq "work"].region`, Source: "state"},
	{Target: `addresses[type eq "work"].postalCode`, Source: "postalCode"},
	{Target: `addresses[type eq "work"].country`, Source: "country"},
	{Target: `phoneNumbers[type eq "work"].value`, Source: "telephoneNumber"},
	{Target: `phoneNumbers[type eq "mobile"].value`, Source: "mobile"},
	{Target: `phoneNumbers[type eq "fax"].value`, Source: "facsimileTelephoneNumber"},
	{Target: "externalId", Source: "mailNickname"},
	{Target: SchemaEnterprise + ":employeeNumber", Source: "employeeId"},
	{Target: SchemaEnterprise + ":department", Source: "department"},
	{Target: SchemaEnterprise + ":manager", Source: "manager"},
}

// mappings are the defaults with the app's overrides applied by target.
func mappings(overrides []idp.AttributeMapping) []idp.AttributeMapping {
	out := make([]idp.AttributeMapping, 0, len(DefaultUserMappings)+len(overrides))
	for _, m := range DefaultUserMappings {
		if o, ok := find(overrides, m.Target); ok {
			if o.Source == "" && o.Constant == "" && o.Matching {
				o.Source = m.Source // only marks the default row as the matching one
			}
			m = o
		}
		if m.Source != "" || m.Constant != "" {
			out = append(out, m)
		}
	}
	for _, o := range overrides {
		if _, ok := find(DefaultUserMappings, o.Target); !ok && (o.Source != "" || o.Constant != "") {
			out = append(out, o)
		}
	}
	return out
}

func find(ms []idp.AttributeMapping, target string) (idp.AttributeMapping, bool) {
	for _, m := range ms {
		if m.Target == target {
			return m, true
		}
	}
	return idp.AttributeMapping{}, false
}

// userValues maps a directory user. active is Entra's Switch([IsSoftDeleted]…): "False" when
// the user is disabled, out of scope or deleted, else "True".
func userValues(u idp.ViewUser, ms []idp.AttributeMapping, softDeleted bool) Values {
	v := Values{}
	for _, m := range ms {
		val := m.Constant
		if val == "" {
			val = sourceValue(u, m.Source)
		}
		if m.Target == "active" && m.Constant == "" {
			val = boolString(u.Enabled() && u.InScope && !softDeleted)
		}
		if val != "" {
			v[m.Target] = val
		}
	}
	return v
}

// sourceValue reads a directory attribute (Entra's source attribute names). Attributes the
// directory does not model (preferredLanguage, addresses, facsimileTelephoneNumber) map to
// nothing, and a mapping with an empty value is left out of the request, as Entra leaves out
// nulls.
func sourceValue(u idp.ViewUser, source string) string {
	switch strings.ToLower(source) {
	case "userprincipalname":
		return u.UserPrincipalName
	case "mail":
		return u.Mail
	case "mailnickname":
		return u.MailNickname
	case "displayname":
		return u.DisplayName
	case "givenname":
		return u.GivenName
	case "surname":
		return u.Surname
	case "objectid":
		return u.ID
	case "jobtitle":
		return u.JobTitle
	case "department":
		return u.Department
	case "employeeid":
		return u.EmployeeID
	case "mobile":
		return u.MobilePhone
	case "telephonenumber":
		if len(u.BusinessPhones) > 0 {
			return u.BusinessPhones[0]
		}
		return ""
	case "physicaldeliveryofficename":
		return u.OfficeLocation
	case "accountenabled":
		return boolString(u.Enabled())
	case `join(" ", [givenname], [surname])`:
		return strings.TrimSpace(u.GivenName + " " + u.Surname)
	}
	return ""
}

// diff lists the changes from old to new values, in a stable order (userName and active
// first, then as the mapping lists them).
func diff(old, new Values, ms []idp.AttributeMapping) []Change {
	var out []Change
	for _, m := range ms {
		if old[m.Target] != new[m.Target] {
			out = append(out, Change{Path: m.Target, Old: old[m.Target], New: new[m.Target]})
		}
	}
	return out
}

// ResourceValues reads the mapped paths out of a SCIM User resource (a decoded JSON
// object): what a target holds, to compare with what Entra would send. active is "True" or
// "False" whether the server stores a boolean or a string.
func ResourceValues(res map[string]any, paths []string) Values {
	v := Values{}
	for _, p := range paths {
		if s := resourceValue(res, p); s != "" {
			v[p] = s
		}
	}
	return v
}

func resourceValue(res map[string]any, path string) string {
	switch {
	case strings.HasPrefix(path, SchemaEnterprise+":"):
		ext, _ := res[SchemaEnterprise].(map[string]any)
		return scalar(ext[strings.TrimPrefix(path, SchemaEnterprise+":")])
	case strings.Contains(path, `[type eq "`):
		attr, rest, _ := strings.Cut(path, `[type eq "`)
		typ, sub, _ := strings.Cut(rest, `"].`)
		list, _ := res[attr].([]any)
		for _, e := range list {
			if m, ok := e.(map[string]any); ok && fmt.Sprint(m["type"]) == typ {
				return scalar(m[sub])
			}
		}
		return ""
	case strings.Contains(path, "."):
		attr, sub, _ := strings.Cut(path, ".")
		m, _ := res[attr].(map[string]any)
		return scalar(m[sub])
	case path == "active":
		switch a := res["active"].(type) {
		case bool:
			return boolString(a)
		case string:
			return boolString(strings.EqualFold(a, "true"))
		}
		return ""
	}
	return scalar(res[path])
}

func scalar(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case map[string]any: // a reference such as manager: its value
		return scalar(x["value"])
	}
	return fmt.Sprint(v)
}

package refscim

// spConfig is the /ServiceProviderConfig document (RFC 7643 §5): what the server supports.
var spConfig = map[string]any{
	"schemas":          []string{schemaSPConfig},
	"documentationUri": "https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups",
	"patch":            map[string]any{"supported": true},
	"bulk":             map[string]any{"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
	"filter":           map[string]any{"supported": true, "maxResults": 200},
	"changePassword":   map[string]any{"supported": false},
	"sort":             map[string]any{"supported": false},
	"etag":             map[string]any{"supported": false},
	"authenticationSchemes": []any{map[string]any{"type": "oauthbearertoken", "name": "OAuth Bearer Token",
		"description": "Authentication with the Secret Token Entra sends as a bearer token", "primary": true}},
	"meta": map[string]any{"resourceType": "ServiceProviderConfig", "location": "/ServiceProviderConfig"},
}

func attrDef(name, typ string, multi bool, uniqueness string) map[string]any {
	return map[string]any{"name": name, "type": typ, "multiValued": multi, "required": name == "userName" || name == "displayName",
		"caseExact": false, "mutability": "readWrite", "returned": "default", "uniqueness": uniqueness}
}

// schemas is the /Schemas list (RFC 7643 §7), abridged to the attributes the server keeps.
var schemas = []any{
	map[string]any{"schemas": []string{schemaSchema}, "id": schemaUser, "name": "User", "description": "User Account",
		"attributes": []any{attrDef("userName", "string", false, "server"), attrDef("externalId", "string", false, "none"),
			attrDef("displayName", "string", false, "none"), attrDef("active", "boolean", false, "none"),
			attrDef("name", "complex", false, "none"), attrDef("emails", "complex", true, "none"), attrDef("title", "string", false, "none")},
		"meta": map[string]any{"resourceType": "Schema", "location": "/Schemas/" + schemaUser}},
	map[string]any{"schemas": []string{schemaSchema}, "id": schemaEnterprise, "name": "EnterpriseUser", "description": "Enterprise User",
		"attributes": []any{attrDef("employeeNumber", "string", false, "none"), attrDef("department", "string", false, "none"), attrDef("manager", "complex", false, "none")},
		"meta":       map[string]any{"resourceType": "Schema", "location": "/Schemas/" + schemaEnterprise}},
	map[string]any{"schemas": []string{schemaSchema}, "id": schemaGroup, "name": "Group", "description": "Group",
		"attributes": []any{attrDef("displayName", "string", false, "none"), attrDef("externalId", "string", false, "none"), attrDef("members", "complex", true, "none")},
		"meta":       map[string]any{"resourceType": "Schema", "location": "/Schemas/" + schemaGroup}},
}

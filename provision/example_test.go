package provision_test

import (
	"encoding/json"
	"fmt"

	"github.com/ssoharness/ssoharness/provision"
)

func show(r provision.Request) {
	b, _ := json.Marshal(r.Body)
	fmt.Println(r.Method, r.Path)
	if r.Body != nil {
		fmt.Println(string(b))
	}
}

// Entra's default SCIM job: capitalised ops, active as a string, members removed with a
// value array.
func ExampleDialect_default() {
	d := provision.Dialect{}
	show(d.SetActive("2819c223", false))
	show(d.PatchUser("2819c223", []provision.Change{
		{Path: "displayName", Old: "Alex Wilber", New: "Alex Wilber-Smith"},
		{Path: "name.familyName", Old: "Wilber", New: "Wilber-Smith"},
		{Path: "title", New: "Engineer"},
	}))
	show(d.RemoveMembers("e9e30dba", []string{"2819c223"}))
	// Output:
	// PATCH /Users/2819c223
	// {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}
	// PATCH /Users/2819c223
	// {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"displayName","value":"Alex Wilber-Smith"},{"op":"Replace","path":"name.familyName","value":"Wilber-Smith"},{"op":"Add","path":"title","value":"Engineer"}]}
	// PATCH /Groups/e9e30dba
	// {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Remove","path":"members","value":[{"value":"2819c223"}]}]}
}

// With aadOptscim062020: lower-case ops, active a boolean, replacements bundled, members
// removed by a filter path.
func ExampleDialect_aadOptscim062020() {
	d := provision.Dialect{Compliant: true}
	show(d.SetActive("2819c223", false))
	show(d.PatchUser("2819c223", []provision.Change{
		{Path: "displayName", Old: "Alex Wilber", New: "Alex Wilber-Smith"},
		{Path: `emails[type eq "work"].value`, Old: "a@contoso.com", New: "alex@contoso.com"},
		{Path: "name.familyName", Old: "Wilber", New: "Wilber-Smith"},
	}))
	show(d.RemoveMembers("e9e30dba", []string{"2819c223"}))
	// Output:
	// PATCH /Users/2819c223
	// {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}
	// PATCH /Users/2819c223
	// {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"emails[type eq \"work\"].value","value":"alex@contoso.com"},{"op":"replace","value":{"displayName":"Alex Wilber-Smith","name.familyName":"Wilber-Smith"}}]}
	// PATCH /Groups/e9e30dba
	// {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"2819c223\"]"}]}
}

// The lookups and creations of an initial cycle.
func ExampleDialect_initialCycle() {
	d := provision.Dialect{}
	show(d.TestConnection("a8c5f3c2-7b1e-4f0a-9d3e-6c2b1a0f9e8d"))
	show(d.GetUserByUserName("B.Simon@contoso.com"))
	show(d.CreateUser(provision.Values{
		"userName": "B.Simon@contoso.com", "active": "True", "externalId": "B.Simon",
		`emails[type eq "work"].value`: "B.Simon@contoso.com",
		"name.givenName":               "B", "name.familyName": "Simon",
	}))
	show(d.GetGroupByDisplayName("Sales"))
	show(d.CreateGroup("7b2e5f3c-9d4a-4c6b-8f1e-2a3b4c5d6e7f", "Sales"))
	show(d.AddMembers("e9e30dba", []string{"2819c223"}))
	// Output:
	// GET /Users?filter=userName+eq+%22a8c5f3c2-7b1e-4f0a-9d3e-6c2b1a0f9e8d%22
	// GET /Users?filter=userName+eq+%22B.Simon%40contoso.com%22
	// POST /Users
	// {"active":true,"emails":[{"primary":true,"type":"work","value":"B.Simon@contoso.com"}],"externalId":"B.Simon","meta":{"resourceType":"User"},"name":{"familyName":"Simon","givenName":"B"},"roles":[],"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"userName":"B.Simon@contoso.com"}
	// GET /Groups?excludedAttributes=members&filter=displayName+eq+%22Sales%22
	// POST /Groups
	// {"displayName":"Sales","externalId":"7b2e5f3c-9d4a-4c6b-8f1e-2a3b4c5d6e7f","meta":{"resourceType":"Group"},"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group","http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"]}
	// PATCH /Groups/e9e30dba
	// {"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"members","value":[{"$ref":null,"value":"2819c223"}]}]}
}

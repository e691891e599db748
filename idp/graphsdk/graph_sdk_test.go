package graphsdk_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	kiotaauth "github.com/microsoft/kiota-authentication-azure-go"
	khttp "github.com/microsoft/kiota-http-go"
	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
)

// The directory of the oracle: 23 users (one deleted), nested groups, an importer app with
// User.Read.All and GroupMember.Read.All (application permissions, admin consent granted)
// and one whose admin consent was not granted.
const (
	tenantID      = "3f8e2a10-5b7c-4d2e-9a61-0c4b8e7d2f15"
	importerID    = "bbbbbbbb-0000-4000-8000-000000000001"
	unconsentedID = "bbbbbbbb-0000-4000-8000-000000000002"
	secret        = "Gq8Q~graph.secret-value_0123456789abcde"
	engID         = "c0000000-0000-4000-8000-000000000001"
	platformID    = "c0000000-0000-4000-8000-000000000003"
)

func config() *idp.Config {
	no := false
	t := &idp.Tenant{ID: tenantID, DisplayName: "Contoso", VerifiedDomains: []string{"contoso.onmicrosoft.com", "contoso.com"},
		Groups: []*idp.Group{
			{ID: engID, DisplayName: "Engineering"},
			{ID: platformID, DisplayName: "Platform", MemberOf: []string{"Engineering"}},
		}}
	for i := range 23 {
		u := &idp.User{ID: fmt.Sprintf("d0000000-0000-4000-8000-%012d", i), UserPrincipalName: fmt.Sprintf("user%02d@contoso.com", i),
			DisplayName: fmt.Sprintf("User %02d", i), Mail: fmt.Sprintf("user%02d@contoso.com", i), Password: "Passw0rd!"}
		switch {
		case i < 2:
			u.MemberOf = []string{"Platform"}
		case i < 5:
			u.MemberOf = []string{"Engineering"}
		case i == 22:
			u.DeletedDateTime = "2026-11-30T10:00:00Z"
		}
		t.Users = append(t.Users, u)
	}
	app := func(id string, consent *bool) *idp.AppRegistration {
		return &idp.AppRegistration{AppID: id, DisplayName: "Importer " + id[len(id)-1:], AdminConsentGranted: consent,
			PasswordCredentials: []*idp.PasswordCredential{{KeyID: "f0000000-0000-4000-8000-" + id[len(id)-12:], SecretText: secret}},
			RequiredResourceAccess: []idp.RequiredResourceAccess{{ResourceAppID: "00000003-0000-0000-c000-000000000000",
				ResourceAccess: []idp.ResourceAccess{{ID: "User.Read.All", Type: "Role"}, {ID: "98830695-27a2-44f7-8c18-0c3ebc9698f6", Type: "Role"}}}}}
	}
	t.AppRegistrations = []*idp.AppRegistration{app(importerID, nil), app(unconsentedID, &no)}
	return &idp.Config{Tenants: []*idp.Tenant{t}}
}

// client is the SDK's Graph client for appID, as an importer builds it: azidentity's client
// secret credential (authority host: the mock; no instance discovery) and the SDK's request
// adapter with its default middleware (retry, redirect, …) over a transport that trusts the
// mock's CA, with the base URL the mock's /v1.0.
func client(t *testing.T, srv *idp.Server, appID string) *msgraphsdk.GraphServiceClient {
	t.Helper()
	cred, err := azidentity.NewClientSecretCredential(tenantID, appID, secret, &azidentity.ClientSecretCredentialOptions{
		ClientOptions:            azcore.ClientOptions{Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: srv.URL + "/"}, Transport: srv.Client()},
		DisableInstanceDiscovery: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(srv.URL)
	auth, err := kiotaauth.NewAzureIdentityAuthenticationProviderWithScopesAndValidHosts(cred,
		[]string{"https://graph.microsoft.com/.default"}, []string{u.Hostname(), u.Host})
	if err != nil {
		t.Fatal(err)
	}
	opts := msgraphsdk.GetDefaultClientOptions()
	httpClient := srv.Client()
	httpClient.Transport = khttp.NewCustomTransportWithParentTransport(srv.Client().Transport, msgraphcore.GetDefaultMiddlewaresWithOptions(&opts)...)
	adapter, err := msgraphsdk.NewGraphRequestAdapterWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(auth, nil, nil, httpClient)
	if err != nil {
		t.Fatal(err)
	}
	adapter.SetBaseUrl(srv.URL + "/v1.0")
	return msgraphsdk.NewGraphServiceClient(adapter)
}

// TestGraphSDK: the SDK lists users over several pages with a small $top (PageIterator
// follows @odata.nextLink; its retry handler waits out a 429's Retry-After), reads a user by
// UPN, a group's members and transitive members, and gets 403 Authorization_RequestDenied
// for the app without admin consent.
func TestGraphSDK(t *testing.T) {
	srv := idptest.StartTLS(t, idp.WithConfig(config()))
	ctx := context.Background()
	gc := client(t, srv, importerID)

	// The third page is throttled once (Retry-After 1 s): the SDK retries after waiting.
	if err := srv.ArmGraphFault(idp.GraphFault{Kind: idp.GraphFaultThrottle, After: 2, RetryAfter: 1}); err != nil {
		t.Fatal(err)
	}
	top := int32(5)
	res, err := gc.Users().Get(ctx, &users.UsersRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.UsersRequestBuilderGetQueryParameters{Top: &top, Select: []string{"id", "userPrincipalName", "accountEnabled"}}})
	if err != nil {
		t.Fatalf("users: %v", describe(err))
	}
	it, err := msgraphcore.NewPageIterator[models.Userable](res, gc.GetAdapter(), models.CreateUserCollectionResponseFromDiscriminatorValue)
	if err != nil {
		t.Fatal(err)
	}
	var upns []string
	if err := it.Iterate(ctx, func(u models.Userable) bool {
		upns = append(upns, *u.GetUserPrincipalName())
		return true
	}); err != nil {
		t.Fatalf("iterate: %v", describe(err))
	}
	if len(upns) != 22 || slices.Contains(upns, "user22@contoso.com") {
		t.Errorf("the SDK listed %d users, want the 22 live ones: %v", len(upns), upns)
	}
	var pages, throttled int
	var throttledAt, retriedAt time.Time
	for _, ev := range srv.Events() {
		if ev.Kind != idp.EventGraphRequest || ev.Request["path"] != "/v1.0/users" {
			continue
		}
		switch ev.Response["status"] {
		case "200":
			pages++
			if throttled == 1 && retriedAt.IsZero() {
				retriedAt = ev.Time
			}
		case "429":
			throttled++
			throttledAt = ev.Time
		}
	}
	if pages != 5 || throttled != 1 || retriedAt.Sub(throttledAt) < time.Second {
		t.Errorf("log: %d pages, %d throttled, retried %v after the 429; want 5 pages (5 users each, 22 live), 1 throttle, a retry ≥ 1 s later",
			pages, throttled, retriedAt.Sub(throttledAt))
	}

	u, err := gc.Users().ByUserId("user03@contoso.com").Get(ctx, nil)
	if err != nil || *u.GetId() != "d0000000-0000-4000-8000-000000000003" || *u.GetDisplayName() != "User 03" {
		t.Errorf("user by UPN: %v %v", u, describe(err))
	}

	members := func(transitive bool) []string {
		var out []string
		var col models.DirectoryObjectCollectionResponseable
		var err error
		if transitive {
			col, err = gc.Groups().ByGroupId(engID).TransitiveMembers().Get(ctx, nil)
		} else {
			col, err = gc.Groups().ByGroupId(engID).Members().Get(ctx, nil)
		}
		if err != nil {
			t.Fatalf("members: %v", describe(err))
		}
		for _, o := range col.GetValue() {
			switch m := o.(type) {
			case models.Userable:
				out = append(out, "user "+*m.GetUserPrincipalName())
			case models.Groupable:
				out = append(out, "group "+*m.GetDisplayName())
			default:
				out = append(out, fmt.Sprintf("%T", o))
			}
		}
		return out
	}
	want := []string{"group Platform", "user user02@contoso.com", "user user03@contoso.com", "user user04@contoso.com"}
	if got := members(false); !slices.Equal(got, want) {
		t.Errorf("members: %v, want %v", got, want)
	}
	want = []string{"group Platform", "user user00@contoso.com", "user user01@contoso.com", "user user02@contoso.com", "user user03@contoso.com", "user user04@contoso.com"}
	if got := members(true); !slices.Equal(got, want) {
		t.Errorf("transitive members: %v, want %v", got, want)
	}

	// Without admin consent the token has no roles: Graph's 403, as an ODataError.
	_, err = client(t, srv, unconsentedID).Users().Get(ctx, nil)
	var oe *odataerrors.ODataError
	if !errors.As(err, &oe) || oe.ResponseStatusCode != 403 || oe.GetErrorEscaped() == nil ||
		*oe.GetErrorEscaped().GetCode() != "Authorization_RequestDenied" || *oe.GetErrorEscaped().GetMessage() != "Insufficient privileges to complete the operation." {
		t.Errorf("unconsented app: %v", describe(err))
	}
}

// describe spells out an ODataError (its Error() is only the status text).
func describe(err error) string {
	var oe *odataerrors.ODataError
	if errors.As(err, &oe) && oe.GetErrorEscaped() != nil {
		e := oe.GetErrorEscaped()
		return fmt.Sprintf("%d %s: %s", oe.ResponseStatusCode, deref(e.GetCode()), deref(e.GetMessage()))
	}
	return fmt.Sprint(err)
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

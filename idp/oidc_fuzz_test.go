package idp_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/ssoharness/ssoharness/idp"
	"github.com/ssoharness/ssoharness/idp/idptest"
)

func fuzzServer(t testing.TB) *idp.Server {
	cfg := oidcTestConfig()
	s, err := idp.New(idp.WithConfig(cfg), idp.WithKeyGenerator(idptest.PooledKeys()))
	if err != nil {
		t.Fatal(err)
	}
	s.URL = "https://login.mock.test"
	return s
}

// TestOIDCMalformedInput sends hostile input to every OIDC endpoint: never a 5xx or a panic.
func TestOIDCMalformedInput(t *testing.T) {
	s := fuzzServer(t)
	huge := strings.Repeat("A", 200<<10)
	reqs := []*http.Request{
		httptest.NewRequest("GET", "/"+contosoID+"/oauth2/v2.0/authorize?client_id="+huge, nil),
		httptest.NewRequest("GET", "/"+contosoID+"/oauth2/v2.0/authorize?client_id=%zz", nil),
		httptest.NewRequest("GET", "/"+contosoID+"/oauth2/v2.0/authorize?client_id="+webAppID+"&redirect_uri="+url.QueryEscape(webRedir)+"&response_type=code&scope=openid&code_challenge_method=S512&code_challenge=x", nil),
		httptest.NewRequest("POST", "/"+contosoID+"/oauth2/v2.0/token", strings.NewReader("grant_type=%zz")),
		httptest.NewRequest("POST", "/"+contosoID+"/oauth2/v2.0/token", strings.NewReader(`{"grant_type":`)),
		httptest.NewRequest("POST", "/"+contosoID+"/oauth2/v2.0/token", strings.NewReader("grant_type=refresh_token&client_id="+webAppID+"&client_secret="+webSecret+"&refresh_token="+huge[:1000])),
		httptest.NewRequest("GET", "/oidc/userinfo", nil),
		httptest.NewRequest("POST", "/oidc/userinfo", strings.NewReader("x")),
		httptest.NewRequest("GET", "/"+contosoID+"/oauth2/v2.0/logout?post_logout_redirect_uri=javascript:alert(1)&id_token_hint=a.b.c", nil),
		httptest.NewRequest("GET", "/%20/v2.0/.well-known/openid-configuration", nil),
		httptest.NewRequest("GET", "/nope/discovery/v2.0/keys", nil),
	}
	reqs[3].Header.Set("Content-Type", "application/x-www-form-urlencoded")
	reqs[4].Header.Set("Content-Type", "application/json")
	reqs[5].Header.Set("Content-Type", "application/x-www-form-urlencoded")
	reqs[7].Header.Set("Authorization", "Bearer not.a.jwt")
	for _, r := range reqs {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code >= 500 || strings.Contains(w.Body.String(), "goroutine") {
			t.Errorf("%s %.80s: %d %.300s", r.Method, r.URL, w.Code, w.Body.String())
		}
	}
}

// FuzzAuthorizeParams fuzzes the authorize query string: never a panic, a 5xx or an answer
// that is not Entra's (checkEntraAnswer).
func FuzzAuthorizeParams(f *testing.F) {
	s := fuzzServer(f)
	f.Add("client_id=" + webAppID + "&redirect_uri=" + url.QueryEscape(webRedir) + "&response_type=code&scope=openid")
	f.Add("client_id=" + webAppID + "&redirect_uri=" + url.QueryEscape(webRedir) + "&response_type=code+id_token&response_mode=form_post&nonce=n&prompt=none&max_age=-1")
	f.Add("client_id=&client_id=x&scope=%00")
	f.Fuzz(func(t *testing.T, q string) {
		r := httptest.NewRequest("GET", "/"+contosoID+"/oauth2/v2.0/authorize", nil)
		r.URL.RawQuery = q
		serveFuzz(t, s, r, q)
	})
}

// FuzzTokenParams fuzzes the token request body and Authorization header: never a panic, a
// 5xx or an answer that is not Entra's (checkEntraAnswer).
func FuzzTokenParams(f *testing.F) {
	s := fuzzServer(f)
	f.Add("grant_type=authorization_code&code=x&client_id="+webAppID+"&redirect_uri="+url.QueryEscape(webRedir), "Basic !!")
	f.Add("grant_type=client_credentials&scope=.default&client_id="+webAppID+"&client_secret="+webSecret, "")
	f.Add("grant_type=refresh_token&refresh_token=&&", "Basic YTpi")
	f.Fuzz(func(t *testing.T, body, auth string) {
		r := httptest.NewRequest("POST", "/common/oauth2/v2.0/token", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if auth != "" {
			r.Header["Authorization"] = []string{auth}
		}
		serveFuzz(t, s, r, body+" | "+auth)
	})
}

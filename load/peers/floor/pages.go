package main

// The pages are the mock's, as captured from one bench sign-in of each protocol (the same
// HTML, the same forms and fields, the same CSS, so the same bytes on the wire, give or take
// the values): the sign-in page's email step, its password step, and the auto-posting page
// carrying the SAMLResponse.

// tenantPath is the default directory's tenant, as the entra flavor's paths use it.
const tenantPath = "/3f8e2a10-5b7c-4d2e-9a61-0c4b8e7d2f15"

// pageHead is every sign-in page up to its content.
const pageHead = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in to your account</title>
<style>
body{margin:0;font-family:"Segoe UI","Helvetica Neue",Arial,sans-serif;background:#f2f2f2;color:#1b1b1b}
.box{max-width:440px;margin:8vh auto;background:#fff;padding:44px;box-shadow:0 2px 6px rgba(0,0,0,.2)}
.logo{font-weight:600;color:#737373;margin-bottom:16px}
h1{font-size:24px;font-weight:600;margin:0 0 12px}
input[type=email],input[type=text],input[type=password]{width:100%;box-sizing:border-box;border:0;border-bottom:1px solid #666;padding:6px 0;font-size:15px;margin:12px 0}
button,input[type=submit]{background:#0067b8;color:#fff;border:0;padding:6px 24px;font-size:15px;min-width:108px;float:right;cursor:pointer}
.error{color:#e81123;margin:8px 0}
.details{font-size:13px;color:#505050;margin-top:24px;word-break:break-all}
.clear{clear:both}
</style></head><body><div class="box"><div class="logo">Microsoft</div>

`

// emailStep is the email step after pageHead: app name, then the form whose ctx follows.
const (
	emailStepSAML = "<h1>Sign in</h1>\n<p id=\"app-name\">to continue to Contoso SAML App</p>\n"
	emailStepOIDC = "<h1>Sign in</h1>\n<p id=\"app-name\">to continue to Contoso OIDC Web</p>\n"
	emailForm     = "<form id=\"email-form\" method=\"post\" action=\"" + tenantPath + "/login\">\n<input type=\"hidden\" name=\"ctx\" value=\""
	emailTail     = "\">\n<input type=\"hidden\" name=\"step\" value=\"email\">\n\n" +
		"<input type=\"email\" id=\"i0116\" name=\"login\" value=\"\" placeholder=\"Email, phone, or Skype\" autocomplete=\"username\" autofocus>\n" +
		"<input type=\"submit\" id=\"idSIButton9\" value=\"Next\">\n</form>\n\n<div class=\"clear\"></div>\n\n</div></body></html>\n"
)

// The password step after pageHead: identity, form, ctx, then the login typed at the email
// step.
const (
	passwordIdentity = "<div id=\"identity\">"
	passwordForm     = "</div>\n<h1>Enter password</h1>\n<form id=\"password-form\" method=\"post\" action=\"" + tenantPath + "/login\">\n<input type=\"hidden\" name=\"ctx\" value=\""
	passwordLogin    = "\">\n<input type=\"hidden\" name=\"step\" value=\"password\">\n<input type=\"hidden\" name=\"login\" value=\""
	passwordTail     = "\">\n\n<input type=\"password\" id=\"i0118\" name=\"passwd\" placeholder=\"Password\" autocomplete=\"current-password\" autofocus>\n" +
		"<input type=\"submit\" id=\"idSIButton9\" value=\"Sign in\">\n</form>\n\n<div class=\"clear\"></div>\n\n</div></body></html>\n"
)

// The auto-posting page: SAMLResponse, then RelayState.
const (
	postHead = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Working...</title></head>\n<body onload=\"document.forms[0].submit()\">\n" +
		"<form method=\"POST\" name=\"hiddenform\" action=\"" + acsURL + "\">\n<input type=\"hidden\" name=\"SAMLResponse\" value=\""
	postRelay = "\">\n<input type=\"hidden\" name=\"RelayState\" value=\""
	postTail  = "\">\n<noscript><p>Script is disabled. Click Submit to continue.</p><input type=\"submit\" value=\"Submit\"></noscript>\n</form>\n</body></html>\n"
)

package scenarios

import (
	"context"
	"fmt"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/ssoharness/ssoharness/idp"
)

// idpStep reports whether the page is one of the IdP's own steps that wait for the user:
// the email or password page, the MFA code prompt, the consent page.
func (s pageState) idpStep() bool {
	return s.HasEmail || s.HasPassword || s.HasMFA || s.HasConsent
}

// maxInterstitials bounds the consent and MFA pages one sign-in answers: an SP that sends
// the user back to Entra meets them again, until Entra's loop detection (idp.ErrRequestLoop).
const maxInterstitials = 8

// interstitials answers Entra's pages after the credentials, as the user would: the MFA
// prompt gets idp.MFACode, the consent page Accept (Cancel with declineConsent). It returns
// the page reached after them.
func (w *walker) interstitials(s pageState) (pageState, error) {
	ctx := w.tab.ctx
	for range maxInterstitials {
		if !w.onIdP(s) || !(s.HasMFA || s.HasConsent) {
			return s, nil
		}
		n := s.commits
		switch {
		case s.HasMFA:
			w.step("IdP MFA prompt", s, s.Title, true)
			if err := w.typeAndClick(ctx, "idTxtBx_SAOTCC_OTC", idp.MFACode, "idSubmit_SAOTCC_Continue"); err != nil {
				return s, fmt.Errorf("type the MFA code on the IdP's page: %w", err)
			}
		default:
			button, what := "idSIButton9", "Accept"
			if w.declineConsent {
				button, what = "idBtn_Back", "Cancel"
			}
			w.step("IdP consent page", s, what, true)
			if err := w.clickID(ctx, button); err != nil {
				return s, fmt.Errorf("press %s on the IdP's consent page: %w", what, err)
			}
		}
		var err error
		if s, err = w.settle(n); err != nil {
			return s, err
		}
	}
	return s, nil
}

// typeAndClick types text into a field as typeInto does and clicks another button.
func (w *walker) typeAndClick(ctx context.Context, id, text, button string) error {
	if err := w.focusID(ctx, id); err != nil {
		return err
	}
	if _, err := chromedp.Call(ctx, input.InsertText, input.InsertTextParams{Text: text}); err != nil {
		return err
	}
	return w.clickID(ctx, button)
}

package scenarios

import (
	"context"
	"fmt"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// The page is driven through the Runtime and Input domains only: the DOM and CSS domains,
// which chromedp's selector actions (Focus, Click) need, are switched off in every check's
// tab (openTab): keeping Chromium's DOM and style-sheet mirrors up to date for the driver
// cost CPU on every page for nothing the checks read. The clicks are still real mouse
// events at the button's place on the page (user activation, the form's submitter), as
// chromedp.Click makes them.

// elementBox is where an element is in the viewport, and whether it is shown.
type elementBox struct {
	X     float64 `json:"x"`
	Y     float64 `json:"y"`
	Shown bool    `json:"shown"`
}

// boxJS scrolls the element with the id %s into view and reads its centre (shown: it
// exists and is rendered, as chromedp's NodeVisible asks).
const boxJS = `(() => { const e = document.getElementById(%s);
  if (!e || e.offsetParent === null) return {shown: false};
  e.scrollIntoView({block: "center", inline: "center"});
  const r = e.getBoundingClientRect();
  return {x: r.left + r.width / 2, y: r.top + r.height / 2, shown: r.width > 0 && r.height > 0}; })()`

// focusJS focuses the element with the id %s when it is shown.
const focusJS = `(() => { const e = document.getElementById(%s);
  if (!e || e.offsetParent === null) return false; e.focus(); return document.activeElement === e; })()`

// whenShown runs try until it reports the element shown, retrying after each page event
// (the element may not be rendered yet), until ctx ends.
func (w *walker) whenShown(ctx context.Context, id string, try func() (bool, error)) error {
	for {
		v := w.tab.snap().version
		ok, err := try()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("#%s is not shown: %w", id, ctx.Err())
		}
		if err := w.tab.waitChange(ctx, v, 100*time.Millisecond); err != nil {
			return fmt.Errorf("#%s is not shown: %w", id, err)
		}
	}
}

// focusID focuses the element with this id (as chromedp.Focus does, through the page).
func (w *walker) focusID(ctx context.Context, id string) error {
	return w.whenShown(ctx, id, func() (bool, error) {
		return chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(focusJS, jsString(id))))
	})
}

// clickID clicks the element with this id with the left mouse button, at its centre.
func (w *walker) clickID(ctx context.Context, id string) error {
	var b elementBox
	if err := w.whenShown(ctx, id, func() (bool, error) {
		var err error
		b, err = chromedp.Run(ctx, chromedp.Evaluate[elementBox](fmt.Sprintf(boxJS, jsString(id))))
		return b.Shown, err
	}); err != nil {
		return err
	}
	for _, t := range []input.DispatchMouseEventType{input.DispatchMouseEventTypeMousePressed, input.DispatchMouseEventTypeMouseReleased} {
		if _, err := chromedp.Call(ctx, input.DispatchMouseEvent, input.DispatchMouseEventParams{Type: t, X: b.X, Y: b.Y,
			Button: input.MouseButtonLeft, Buttons: 1, ClickCount: 1}); err != nil {
			return fmt.Errorf("click #%s: %w", id, err)
		}
	}
	return nil
}

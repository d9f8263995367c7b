package server

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/recap-startos/recap/pkg/billing"
)

// TestBrowserLightningOrder: in headless Chromium, an anonymous buyer
// picks Pro by Lightning on the pricing page and lands on the order
// page, whose QR code has loaded; BTCPay is paid and its webhook
// settles the order, and the page says so without being reloaded.
func TestBrowserLightningOrder(t *testing.T) {
	needChromium(t)
	e := newBillEnv(t)
	must := func(step string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	a := startBrowser(t)
	must("pricing", chromedp.Do(a, chromedp.Navigate(e.ts.URL+"/pricing"), chromedp.WaitVisible(chromedp.ID("buy-pro-lightning"))))
	must("buy Pro", chromedp.Do(a,
		chromedp.SendKeys(chromedp.ID("email-pro"), "fay@example.org"),
		chromedp.Click(chromedp.ID("buy-pro-lightning")),
		chromedp.WaitVisible(chromedp.ID("qr")),
	))
	qrCtx, qrCancel := context.WithTimeout(a, 20*time.Second)
	defer qrCancel()
	_, err := chromedp.Run(qrCtx, chromedp.Poll[bool](`(() => { const i = document.getElementById("qr"); return i.complete && i.naturalWidth > 0; })()`))
	must("the QR image loads", err)
	loc, err := chromedp.Run(a, chromedp.Location())
	must("location", err)
	id := loc[strings.LastIndex(loc, "/")+1:]
	if !orderIDPattern.MatchString(id) {
		t.Fatalf("order page at %s", loc)
	}
	msg, err := chromedp.Run(a, chromedp.Text(chromedp.ID("order-message")))
	must("message", err)
	if msg != "Waiting for the payment." {
		t.Fatalf("open order says %q", msg)
	}
	// A mark that a reload would wipe.
	_, err = chromedp.Run(a, chromedp.Evaluate[bool](`(() => { window.notReloaded = true; return true; })()`))
	must("mark", err)

	e.pay(t, id)
	o, err := e.svc.Order(context.Background(), id)
	must("order", err)
	if o.Status != billing.StatusPaid {
		t.Fatalf("order after the webhook: %+v", o)
	}
	want := "Paid — Pro until " + o.PeriodEnd.UTC().Format("2006-01-02")
	ctx, cancel := context.WithTimeout(a, 20*time.Second)
	defer cancel()
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById("order-message").textContent === `+jsString(want)))
	must("status flips", err)
	state, err := chromedp.Run(a, chromedp.Evaluate[[]bool](`[window.notReloaded === true, document.getElementById("lightning").hidden, !document.getElementById("order-next").hidden]`))
	must("state", err)
	if len(state) != 3 || !state[0] || !state[1] || !state[2] {
		t.Fatalf("after paying: not reloaded, invoice hidden, next steps shown = %v", state)
	}
}

// jsString quotes s for JavaScript.
func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

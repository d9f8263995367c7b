package billingtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Delivery is one webhook delivery: the body exactly as sent (indented
// JSON, as BTCPay sends it) and its BTCPay-Sig header.
type Delivery struct {
	Type string
	Body []byte
	Sig  string
}

// Sign returns the BTCPay-Sig header of a body under the store's secret.
func (f *BTCPay) Sign(body []byte) string { return signBody(f.WebhookSecret, body) }

// Pay pays an invoice in full by Lightning before it expires: it settles
// at once. It returns the deliveries BTCPay would send, in its order,
// without sending them (see Send).
func (f *BTCPay) Pay(id string) []Delivery { return f.pay(id, 1, false) }

// Overpay pays twice the amount: Settled, PaidOver.
func (f *BTCPay) Overpay(id string) []Delivery { return f.pay(id, 2, false) }

// PayLate lets the invoice expire, then pays it in full: Expired,
// PaidLate (BTCPay never settles it by itself).
func (f *BTCPay) PayLate(id string) []Delivery { return f.pay(id, 1, true) }

// PayPart pays part of an invoice; it stays New until it expires.
func (f *BTCPay) PayPart(id string, sats int64) []Delivery {
	f.mu.Lock()
	defer f.mu.Unlock()
	inv := f.must(id)
	inv.Paid += sats
	inv.AdditionalStatus = "PaidPartial"
	return []Delivery{f.delivery(inv, "InvoiceReceivedPayment", f.paymentFields(inv, sats, false))}
}

// Expire ends an invoice's time: Expired (PaidPartial if part was paid).
func (f *BTCPay) Expire(id string) []Delivery {
	f.mu.Lock()
	defer f.mu.Unlock()
	inv := f.must(id)
	inv.Expires = f.now()
	f.expireIfDue(inv)
	return []Delivery{f.delivery(inv, "InvoiceExpired", map[string]any{"partiallyPaid": inv.Paid > 0})}
}

func (f *BTCPay) pay(id string, times int64, late bool) []Delivery {
	f.mu.Lock()
	defer f.mu.Unlock()
	inv := f.must(id)
	amount, _ := strconv.ParseInt(inv.Amount, 10, 64)
	var out []Delivery
	if late {
		inv.Expires = f.now()
		f.expireIfDue(inv)
		out = append(out, f.delivery(inv, "InvoiceExpired", map[string]any{"partiallyPaid": false}))
	}
	sats := amount*times - inv.Paid
	inv.Paid += sats
	pay := f.paymentFields(inv, sats, late)
	out = append(out, f.delivery(inv, "InvoiceReceivedPayment", pay), f.delivery(inv, "InvoicePaymentSettled", pay))
	if late {
		inv.AdditionalStatus = "PaidLate"
		return out
	}
	over := inv.Paid > amount
	inv.Status, inv.AdditionalStatus = "Settled", "None"
	if over {
		inv.AdditionalStatus = "PaidOver"
	}
	return append(out, f.delivery(inv, "InvoiceProcessing", map[string]any{"overPaid": over}),
		f.delivery(inv, "InvoiceSettled", map[string]any{"overPaid": over, "manuallyMarked": false}))
}

func (f *BTCPay) must(id string) *Invoice {
	inv, ok := f.inv[id]
	if !ok {
		f.t.Fatalf("fake btcpay: no invoice %s", id)
	}
	return inv
}

func (f *BTCPay) paymentFields(inv *Invoice, sats int64, late bool) map[string]any {
	return map[string]any{
		"afterExpiration": late, "paymentMethodId": "BTC-LN",
		"payment": map[string]any{
			"id": randomID(32), "receivedDate": f.now().Unix(), "value": strconv.FormatFloat(float64(sats)/1e8, 'f', 8, 64),
			"fee": "0.00000000", "status": "Settled", "destination": inv.BOLT11,
		},
	}
}

// delivery builds a signed webhook body and checks it against the
// API description's x-webhooks schema of its type.
func (f *BTCPay) delivery(inv *Invoice, typ string, extra map[string]any) Delivery {
	f.seq++
	ev := map[string]any{
		"deliveryId": fmt.Sprintf("dlv%s%d", randomID(8), f.seq), "webhookId": "wh" + f.StoreID, "originalDeliveryId": "",
		"isRedelivery": false, "type": typ, "timestamp": f.now().Unix(), "storeId": f.StoreID, "invoiceId": inv.ID,
		"metadata": inv.Metadata,
	}
	ev["originalDeliveryId"] = ev["deliveryId"]
	for k, v := range extra {
		ev[k] = v
	}
	body, _ := json.MarshalIndent(ev, "", "  ")
	var v any
	json.Unmarshal(body, &v)
	if problems := f.specs[0].validate(f.specs[0].webhookSchema(typ), v, typ); len(problems) > 0 {
		f.t.Errorf("fake btcpay: its %s webhook does not fit the API description: %s", typ, strings.Join(problems, "; "))
	}
	return Delivery{Type: typ, Body: body, Sig: signBody(f.WebhookSecret, body)}
}

// Redelivery is d sent again, as BTCPay's automatic or manual redelivery
// does: a new deliveryId, isRedelivery true, the same event.
func (f *BTCPay) Redelivery(d Delivery) Delivery {
	var ev map[string]any
	json.Unmarshal(d.Body, &ev)
	f.mu.Lock()
	f.seq++
	ev["deliveryId"] = fmt.Sprintf("dlv%s%d", randomID(8), f.seq)
	f.mu.Unlock()
	ev["isRedelivery"] = true
	body, _ := json.MarshalIndent(ev, "", "  ")
	return Delivery{Type: d.Type, Body: body, Sig: signBody(f.WebhookSecret, body)}
}

// Send posts deliveries to the webhook URL in order, as BTCPay's
// per-webhook queue does, and returns the status of each.
func (f *BTCPay) Send(ds ...Delivery) []int {
	f.mu.Lock()
	hook := f.hook
	f.mu.Unlock()
	if hook == "" {
		f.t.Fatal("fake btcpay: no webhook URL (SetWebhook)")
	}
	var out []int
	for _, d := range ds {
		out = append(out, post(f.t, hook, d.Body, map[string]string{"BTCPay-Sig": d.Sig, "Content-Type": "application/json", "User-Agent": "BTCPayServer"}))
	}
	return out
}

func post(t interface{ Errorf(string, ...any) }, url string, body []byte, headers map[string]string) int {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Errorf("webhook: %v", err)
		return 0
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	c := &http.Client{Timeout: 30 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Errorf("webhook: %v", err)
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

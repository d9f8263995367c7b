package billing_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/recap-startos/recap/pkg/billing"
)

// BenchmarkCheckoutAndSettle is one whole Lightning purchase of a pack:
// the checkout (the order row, BTCPay's invoice and payment methods over
// loopback HTTP), the payment, the signed InvoiceSettled webhook, the
// re-read of the invoice and the applying transaction.
func BenchmarkCheckoutAndSettle(b *testing.B) {
	e := newEnv(b)
	users := make([]string, b.N)
	for i := range users {
		users[i] = e.user(fmt.Sprintf("u%d@example.org", i))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		o, err := e.svc.Checkout(context.Background(), billing.Buyer{UserID: users[i]}, "credits-100", billing.Lightning)
		if err != nil {
			b.Fatal(err)
		}
		ds := e.btc.Pay(o.ProviderRef)
		e.btc.Send(ds[len(ds)-1])
	}
	b.StopTimer()
	if n := e.count(`SELECT count(*) FROM billing_orders WHERE status = 'paid'`); n != b.N {
		b.Fatalf("%d of %d orders paid", n, b.N)
	}
}

// BenchmarkReplayedWebhook is a webhook for an order applied already:
// the signature check, the lookup, and nothing else.
func BenchmarkReplayedWebhook(b *testing.B) {
	e := newEnv(b)
	ann := e.user("ann@example.org")
	o, err := e.svc.Checkout(context.Background(), billing.Buyer{UserID: ann}, "credits-100", billing.Lightning)
	if err != nil {
		b.Fatal(err)
	}
	ds := e.btc.Pay(o.ProviderRef)
	last := ds[len(ds)-1]
	e.btc.Send(last)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := e.svc.BTCPayWebhook(context.Background(), last.Body, last.Sig); err != nil {
			b.Fatal(err)
		}
	}
}

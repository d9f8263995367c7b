package billing

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

// FuzzVerifyBTCPaySig: only the exact signature of the exact body
// passes, whatever the header holds.
func FuzzVerifyBTCPaySig(f *testing.F) {
	f.Add([]byte("{\n  \"type\": \"InvoiceSettled\"\n}"), "sha256=00")
	f.Add([]byte(""), "")
	f.Add([]byte("x"), "sha256=")
	f.Fuzz(func(t *testing.T, body []byte, header string) {
		mac := hmac.New(sha256.New, []byte("secret"))
		mac.Write(body)
		good := "sha256=" + hex.EncodeToString(mac.Sum(nil))
		if !VerifyBTCPaySig("secret", body, good) {
			t.Fatal("the right signature was refused")
		}
		if header != good && VerifyBTCPaySig("secret", body, header) {
			if got, _ := hex.DecodeString(header[len("sha256="):]); !hmac.Equal(got, mac.Sum(nil)) {
				t.Fatalf("accepted %q", header)
			}
		}
		if VerifyBTCPaySig("", body, good) {
			t.Fatal("an empty secret verified")
		}
	})
}

// FuzzZapriteIDs: any body gives ids or nothing, never a panic, and a
// well-formed nudge gives its ids.
func FuzzZapriteIDs(f *testing.F) {
	f.Add([]byte(`{"event":"order.change","data":{"id":"zo_1","externalUniqId":"ord_1"}}`))
	f.Add([]byte(`{"data":{"object":{"id":"zo_2"}}}`))
	f.Add([]byte(`{"orderId":"zo_3"}`))
	f.Add([]byte(`[1,2]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ref, ours := zapriteIDs(body)
		if len(ref) > len(body) || len(ours) > len(body) {
			t.Fatalf("ids longer than the body: %q %q", ref, ours)
		}
	})
}

func TestZapriteIDs(t *testing.T) {
	t.Parallel()
	cases := map[string][2]string{
		`{"event":"order.change","data":{"id":"zo_1","externalUniqId":"ord_1"}}`: {"zo_1", "ord_1"},
		`{"type":"order.paid","data":{"object":{"id":"zo_2"}}}`:                  {"zo_2", ""},
		`{"orderId":"zo_3"}`: {"zo_3", ""},
		`{"id":"zo_4","order":{"externalUniqId":"ord_4"}}`: {"zo_4", "ord_4"},
		`not json`: {"", ""},
	}
	for body, want := range cases {
		if ref, ours := zapriteIDs([]byte(body)); ref != want[0] || ours != want[1] {
			t.Errorf("%s: %q %q, want %q", body, ref, ours, want)
		}
	}
}

func TestWholeAmount(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]int64{"21000": 21000, "21000.00": 21000, " 5 ": 5, "0.000": 0} {
		if n, ok := wholeAmount(s); !ok || n != want {
			t.Errorf("%q: %d %v", s, n, ok)
		}
	}
	for _, s := range []string{"21000.5", "", "1e3", "abc", "0.00000001"} {
		if _, ok := wholeAmount(s); ok {
			t.Errorf("%q read as whole", s)
		}
	}
}

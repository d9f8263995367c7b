package server

import (
	"bytes"
	"image"
	"image/png"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	gzqr "github.com/makiuchi-d/gozxing/qrcode"
)

// A BOLT11 as BTCPay's Lightning payment method hands it out (the
// example invoice of BOLT 11, for 2500 µBTC on mainnet).
const sampleBOLT11 = "lnbc2500u1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5xysxxatsyp3k7enxv4jsxqzpu9qrsgquk0rl77nj30yxdy8j9vdx85fkpmdla2087ne0xh8nhedh8w27kyke0lp53ut353s06fv3qfegext0eh0ymjpf39tuven09sam30g4vgpfna3rh"

// decodeQR reads the text of a QR code in a PNG.
func decodeQR(t *testing.T, data []byte) string {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := gzqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("the QR code does not read: %v", err)
	}
	return res.GetText()
}

func TestQRCarriesTheInvoice(t *testing.T) {
	t.Parallel()
	uri := lightningURI(strings.ToUpper(sampleBOLT11))
	if uri != "lightning:"+sampleBOLT11 {
		t.Fatalf("link %q", uri)
	}
	data, err := qrPNG(uri)
	if err != nil {
		t.Fatal(err)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width != qrSize || cfg.Height != qrSize {
		t.Fatalf("image %+v %v, want %d px square", cfg, err, qrSize)
	}
	if got := decodeQR(t, data); !strings.EqualFold(got, uri) || got != strings.ToUpper(got) {
		t.Fatalf("QR reads %q, want %q in upper case", got, uri)
	}
	url, err := qrDataURL(uri)
	if err != nil || !strings.HasPrefix(url, "data:image/png;base64,") {
		t.Fatalf("data URL %.40q %v", url, err)
	}
}

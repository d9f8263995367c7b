package server

import (
	"encoding/base64"
	"fmt"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

// qrSize is the width and height of a QR image in pixels: large enough
// for a phone to read a BOLT11 of a few hundred characters from a screen.
const qrSize = 360

// lightningURI is what the Lightning QR code and link carry. In the QR
// code it is upper case, which QR's alphanumeric mode packs into fewer,
// larger modules; wallets read BOLT11 without regard to case.
func lightningURI(bolt11 string) string {
	return "lightning:" + strings.ToLower(bolt11)
}

// qrPNG renders text as a QR code in PNG, with medium error correction
// and the quiet zone the standard asks for.
func qrPNG(text string) ([]byte, error) {
	png, err := qrcode.Encode(strings.ToUpper(text), qrcode.Medium, qrSize)
	if err != nil {
		return nil, fmt.Errorf("server: QR code: %w", err)
	}
	return png, nil
}

// qrDataURL is qrPNG as a data: URL, which the page's img-src allows
// without a request of its own.
func qrDataURL(text string) (string, error) {
	png, err := qrPNG(text)
	if err != nil {
		return "", err
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(png), nil
}

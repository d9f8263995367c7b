package auth

import (
	"net/http"
	"time"
)

// CookieName is the name of the session cookie.
const CookieName = "recap_session"

// SetCookie sends the session cookie: HttpOnly, SameSite=Lax, Secure
// unless secure is false (development on a loopback address only).
func SetCookie(w http.ResponseWriter, token string, secure bool) {
	http.SetCookie(w, &http.Cookie{
		Name:     CookieName,
		Value:    token,
		Path:     "/",
		MaxAge:   int(SessionTTL / time.Second),
		HttpOnly: true,
		Secure:   secure,
		SameSite: http.SameSiteLaxMode,
	})
}

// ClearCookie removes the session cookie from the browser.
func ClearCookie(w http.ResponseWriter, secure bool) {
	http.SetCookie(w, &http.Cookie{
		Name:     CookieName,
		Value:    "",
		Path:     "/",
		MaxAge:   -1,
		HttpOnly: true,
		Secure:   secure,
		SameSite: http.SameSiteLaxMode,
	})
}

// TokenFrom returns the session token a request carries, or "".
func TokenFrom(r *http.Request) string {
	c, err := r.Cookie(CookieName)
	if err != nil {
		return ""
	}
	return c.Value
}

// HostCookieName is multi mode's session cookie. The __Host- prefix makes
// browsers keep it only when it is Secure, has Path=/ and no Domain, so
// no other host or path can plant or read it.
const HostCookieName = "__Host-recap_session"

// SetAccountCookie sends multi mode's session cookie: __Host-recap_session,
// or recap_session when secure is false (development on loopback only,
// where the prefix cannot be used).
func SetAccountCookie(w http.ResponseWriter, token string, secure bool) {
	name := HostCookieName
	if !secure {
		name = CookieName
	}
	http.SetCookie(w, &http.Cookie{Name: name, Value: token, Path: "/", MaxAge: int(SessionTTL / time.Second),
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
}

// ClearAccountCookie removes multi mode's session cookie.
func ClearAccountCookie(w http.ResponseWriter, secure bool) {
	name := HostCookieName
	if !secure {
		name = CookieName
	}
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
}

// AccountTokenFrom returns multi mode's session token from the cookie
// (never from the URL or another header), or "". The unprefixed name is
// read only when plain is true (development on loopback).
func AccountTokenFrom(r *http.Request, plain bool) string {
	if c, err := r.Cookie(HostCookieName); err == nil {
		return c.Value
	}
	if plain {
		if c, err := r.Cookie(CookieName); err == nil {
			return c.Value
		}
	}
	return ""
}

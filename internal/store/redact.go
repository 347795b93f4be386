package store

import (
	"net/url"
	"regexp"
	"strings"
)

// RedactURL hides secrets in a database URL for messages: the password of
// user:password@, and the value of every query parameter whose name looks
// like a secret (password, sslpassword, anything containing "pass",
// "secret", "token" or "pwd"). A keyword/value connection string
// ("host=db password=x") gets the same treatment for its keywords.
func RedactURL(u string) string {
	red, _ := RedactSecrets(u)
	return red
}

// RedactSecrets returns u redacted and the secret values it hid.
func RedactSecrets(u string) (string, []string) {
	var secrets []string
	i := strings.Index(u, "://")
	if i < 0 {
		red := kvPair.ReplaceAllStringFunc(u, func(m string) string {
			sub := kvPair.FindStringSubmatch(m)
			if !secretKey(sub[1]) {
				return m
			}
			v := strings.Trim(sub[2], "'")
			secrets = append(secrets, v, sub[2])
			return sub[1] + "=***"
		})
		return red, secrets
	}
	head, rest := u[:i+3], u[i+3:]
	// The userinfo ends at the last '@' before the query (an unescaped '/'
	// or '@' in a password is taken as part of it). A password holding an
	// unescaped '?' or '#' makes a URL nobody can parse: then the last '@'
	// anywhere ends it, since redacting too much is the safe side.
	auth := rest
	if q := strings.IndexAny(rest, "?#"); q >= 0 {
		auth = rest[:q]
	}
	at := strings.LastIndex(auth, "@")
	if at < 0 {
		if _, err := url.Parse(u); err != nil {
			at = strings.LastIndex(rest, "@")
		}
	}
	if at >= 0 {
		user := rest[:at]
		if c := strings.IndexByte(user, ':'); c >= 0 {
			secrets = append(secrets, user[c+1:])
			user = user[:c] + ":***"
		}
		head, rest = head+user+"@", rest[at+1:]
	}
	q := strings.IndexByte(rest, '?')
	if q < 0 {
		return head + rest, secrets
	}
	query, frag := rest[q+1:], ""
	if h := strings.IndexByte(query, '#'); h >= 0 {
		query, frag = query[:h], query[h:]
	}
	params := strings.Split(query, "&")
	for j, p := range params {
		if k, v, ok := strings.Cut(p, "="); ok && secretKey(k) {
			secrets = append(secrets, v)
			params[j] = k + "=***"
		}
	}
	return head + rest[:q+1] + strings.Join(params, "&") + frag, secrets
}

// kvPair is one keyword=value pair of a libpq-style connection string; a
// value is single-quoted (with \' escapes) or runs to the next space.
var kvPair = regexp.MustCompile(`([A-Za-z_][A-Za-z0-9_]*)\s*=\s*('(?:[^'\\]|\\.)*'?|\S*)`)

// secretKey reports whether a connection parameter's name (URL-escaped or
// not) names a secret.
func secretKey(k string) bool {
	if dk, err := url.QueryUnescape(k); err == nil {
		k = dk
	}
	k = strings.ToLower(k)
	for _, w := range []string{"pass", "secret", "token", "pwd"} {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

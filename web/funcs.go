package web

import (
	"fmt"
	"html/template"
	"net/url"
	"strings"
)

// withParam is q with key set to value, encoded.
func withParam(q url.Values, key, value string) string {
	out := url.Values{}
	for k, v := range q {
		if k != "live" {
			out[k] = v
		}
	}
	out.Set(key, value)
	return out.Encode()
}

// hours writes seconds as hours and minutes: "12:30".
func hours(seconds int64) string {
	m := (seconds + 30) / 60
	return fmt.Sprintf("%d:%02d", m/60, m%60)
}

var funcs = template.FuncMap{
	"title": func(s string) string {
		if s == "" {
			return s
		}
		return strings.ToUpper(s[:1]) + strings.ReplaceAll(s[1:], "_", " ")
	},
	"words": func(s string) string { return strings.ReplaceAll(s, "_", " ") },
	"hours": hours,
}

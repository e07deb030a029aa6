package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

func getJSON(t *testing.T, url string, out any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode
}

// machineTime is the one machine format: RFC 3339, UTC, milliseconds.
var machineTime = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

// walk calls f with every key and value in a decoded JSON document.
func walk(v any, f func(key string, v any)) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			f(k, x)
			walk(x, f)
		}
	case []any:
		for _, x := range v {
			walk(x, f)
		}
	}
}

// Issue 18, finding 5: every instant in an alert is RFC 3339 with exactly
// three fraction digits, and every instant's name ends in _at (or is "at").
func TestAlertTimesHaveOneFormatAndOneNaming(t *testing.T) {
	t.Parallel()
	_, _, hs := newServer(t)
	a := post(t, hs.URL, `{"team":"payments","summary":"checkout failing","dedup_key":"c"}`, nil)
	if a.code != 202 {
		t.Fatalf("post: %+v", a)
	}
	id := a.Alerts[0].AlertID
	resp, err := http.Post(fmt.Sprintf("%s/api/v1/alerts/%d/ack", hs.URL, id), "application/json", strings.NewReader(`{"by":"alice"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var one, list any
	getJSON(t, fmt.Sprintf("%s/api/v1/alerts/%d", hs.URL, id), &one)
	getJSON(t, hs.URL+"/api/v1/alerts?state=all", &list)
	times := 0
	for _, doc := range []any{one, list} {
		walk(doc, func(k string, v any) {
			s, isString := v.(string)
			looksLikeTime := isString && regexp.MustCompile(`^\d{4}-\d\d-\d\dT`).MatchString(s)
			namedAsTime := k == "at" || strings.HasSuffix(k, "_at")
			if looksLikeTime {
				times++
				if !machineTime.MatchString(s) {
					t.Errorf("%s = %q: not RFC 3339 with milliseconds in UTC", k, s)
				}
			}
			if looksLikeTime != namedAsTime && !(namedAsTime && v == nil) {
				t.Errorf("%s = %v: instants, and only instants, are named ..._at", k, v)
			}
		})
	}
	if times < 8 {
		t.Errorf("only %d times seen", times)
	}
}

// Issue 18, finding 7: GET /api/v1/alerts pages with limit and a cursor
// and says when it cut the list; it never stops silently.
func TestAlertListPages(t *testing.T) {
	t.Parallel()
	_, _, hs := newServer(t)
	var ids []int64
	for i := range 5 {
		a := post(t, hs.URL, fmt.Sprintf(`{"team":"payments","summary":"s%d","dedup_key":"k%d"}`, i, i), nil)
		if a.code != 202 {
			t.Fatalf("post: %+v", a)
		}
		ids = append([]int64{a.Alerts[0].AlertID}, ids...) // newest first
	}
	var got []int64
	url := hs.URL + "/api/v1/alerts?limit=2"
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		var page AlertList
		if code := getJSON(t, url, &page); code != 200 {
			t.Fatalf("GET %s: %d", url, code)
		}
		for _, a := range page.Alerts {
			got = append(got, a.ID)
		}
		if !page.Truncated {
			if page.NextCursor != "" || len(page.Alerts) != 1 {
				t.Errorf("last page: %+v", page)
			}
			break
		}
		if len(page.Alerts) != 2 || page.NextCursor == "" {
			t.Fatalf("a cut page: %+v", page)
		}
		url = hs.URL + "/api/v1/alerts?limit=2&cursor=" + page.NextCursor
	}
	if fmt.Sprint(got) != fmt.Sprint(ids) {
		t.Errorf("pages gave %v, want %v", got, ids)
	}
	var whole AlertList
	getJSON(t, hs.URL+"/api/v1/alerts", &whole)
	if whole.Truncated || len(whole.Alerts) != 5 {
		t.Errorf("unpaged: truncated %v, %d alerts", whole.Truncated, len(whole.Alerts))
	}
	var bad struct{ Error string }
	for _, q := range []string{"limit=0", "limit=1001", "cursor=abc"} {
		if code := getJSON(t, hs.URL+"/api/v1/alerts?"+q, &bad); code != 400 || bad.Error == "" {
			t.Errorf("%s: %d %q", q, code, bad.Error)
		}
	}
}

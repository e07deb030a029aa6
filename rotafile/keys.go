package rotafile

// KnownKeys lists the keys the loader accepts for every kind of mapping in a
// rota file, by path ("" is the top of a file, "[]" an item of a list, "*" a
// name the user chooses). The loader rejects any other key, so a typo is
// never ignored; a test checks configs/schema.json against this table.
func KnownKeys() map[string][]string {
	return map[string][]string{
		"": {"people", "team", "name", "timezone", "business_hours", "holidays",
			"rotations", "shadows", "overrides", "escalation", "urgency", "routes", "pay", "health", "commander"},
		"people[]":                      {"id", "name", "timezone", "contacts", "notify"},
		"people[].contacts":             {"sms", "voice"},
		"people[].notify[]":             {"method", "after"},
		"business_hours":                {"days", "start", "end"},
		"holidays[]":                    {"date", "name"},
		"rotations.*":                   {"members", "handoff", "start", "end", "changes", "follows", "offset"},
		"rotations.*.changes[]":         {"from", "members"},
		"shadows[]":                     {"person", "role", "from", "until", "reverse"},
		"overrides[]":                   {"role", "person", "from", "until", "note"},
		"escalation":                    {"repeat", "steps", "unreachable"},
		"urgency":                       {"high", "low_out_of_hours", "alertmanager_label"},
		"escalation.steps[]":            {"notify", "ack_timeout"},
		"routes[]":                      {"name", "email", "resolve", "http", "severity", "require_auth", "authserv_id", "resolve_any"},
		"routes[].email":                {"from", "to", "subject", "body"},
		"routes[].resolve":              {"from", "to", "subject", "body"},
		"routes[].http":                 {"key_env", "key_file"},
		"health":                        {"sleep_hours"},
		"health.sleep_hours":            {"start", "end"},
		"pay":                           {"currency", "standby_per_hour", "engaged_per_hour", "shadow_per_hour", "minimum_callout_minutes", "max_per_day", "people", "toil"},
		"pay.toil":                      {"holiday_engaged", "sleep_interruption"},
		"pay.standby_per_hour":          {"weekday_out_of_hours", "weekend", "holiday"},
		"pay.people.*":                  {"standby_per_hour", "engaged_per_hour", "shadow_per_hour", "minimum_callout_minutes", "max_per_day"},
		"pay.people.*.standby_per_hour": {"weekday_out_of_hours", "weekend", "holiday"},
	}
}

package escalation

import (
	"reflect"
	"testing"
	"time"
)

// bytesReader hands out fuzz bytes; zeros once they run out.
type bytesReader struct{ b []byte }

func (r *bytesReader) more() bool { return len(r.b) > 0 }

func (r *bytesReader) next() int {
	if len(r.b) == 0 {
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return int(v)
}

var fuzzPeople = []string{"alice", "bob", "erin", "frank", "ghost", "ops", ""}

// fuzzWorld builds a policy (sometimes invalid) and an on-call world.
func fuzzWorld(r *bytesReader) (Policy, Env) {
	targets := []Target{{Role: "primary"}, {Role: "secondary"}, {Role: "nobody"}, {Person: "frank"}, {Person: "ghost"}, {Role: "primary", Person: "x"}}
	var p Policy
	p.Repeat = r.next()%4 - boolInt(r.next()%16 == 0) // occasionally -1: invalid
	for n := r.next() % 4; n > 0; n-- {
		st := PolicyStep{AckTimeout: time.Duration(r.next()%11) * time.Minute} // 0 is invalid
		for k := 1 + r.next()%2; k > 0; k-- {
			t := targets[r.next()%len(targets)]
			st.Targets = append(st.Targets, t)
		}
		p.Steps = append(p.Steps, st)
	}
	flags := r.next()
	p.WaitForTimeout = flags&1 != 0
	p.Low.Hold = flags&2 != 0
	if flags&4 != 0 {
		p.Low.Methods = []Method{"sms"}
	}
	bits := r.next()
	env := &fakeEnv{roles: map[string][]Recipient{}, rules: map[string][]Rule{
		"alice": smsNow,
		"bob":   {{Method: "sms"}, {Method: "voice", After: time.Duration(r.next()%5) * time.Minute}},
		"frank": {{Method: "voice"}, {Method: "sms", After: time.Minute}, {Method: "voice", After: -time.Minute}},
		"erin":  smsNow,
	}}
	if bits&1 != 0 {
		env.roles["primary"] = append(env.roles["primary"], Recipient{Person: "alice", Role: "primary"})
	}
	if bits&2 != 0 {
		env.roles["primary"] = append(env.roles["primary"], Recipient{Person: "erin", Role: "primary", Shadow: true, Reverse: bits&4 != 0})
	}
	if bits&8 != 0 {
		env.roles["secondary"] = append(env.roles["secondary"], Recipient{Person: "bob", Role: "secondary"})
	}
	if bits&16 != 0 {
		env.rules["alice"] = smsVoice
	}
	if bits&32 != 0 { // alice holds both roles
		env.roles["secondary"] = append(env.roles["secondary"], Recipient{Person: "alice", Role: "secondary"})
	}
	if flags&8 != 0 {
		// Business hours: two hours open in every six, from t0+1h.
		h := &hoursEnv{fakeEnv: env}
		for i := range 40 {
			h.open = append(h.open, at(time.Duration(6*i+1)*time.Hour))
			h.close = append(h.close, at(time.Duration(6*i+3)*time.Hour))
		}
		return p, h
	}
	return p, env
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func fuzzEvent(r *bytesReader) Event {
	who := fuzzPeople[r.next()%len(fuzzPeople)]
	switch r.next() % 10 {
	case 0:
		return Trigger{Urgency: []Urgency{"", High, Low, Low}[r.next()%4]}
	case 8:
		return Raise{By: who}
	case 9:
		return DeliveryFailed{Person: who, Method: []Method{"sms", "voice"}[r.next()%2], Page: "p" + string(rune('0'+r.next()%4))}
	case 1, 2:
		return Tick{}
	case 3:
		return Ack{By: who}
	case 4:
		return Resolve{By: who}
	case 5:
		return EscalateNow{By: who}
	case 6:
		return DeliveryFailed{Person: who, Method: []Method{"sms", "voice", ""}[r.next()%3], Reason: "fuzz"}
	default:
		return &Tick{}
	}
}

// FuzzStep applies a random sequence of events to a random policy and world,
// storing the state through JSON between calls as the scheduler does.
func FuzzStep(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 1, 3, 0, 5, 1, 0, 3, 0, 0xff, 2, 0, 0, 3, 1, 20, 0, 1, 20, 0, 1, 3, 0, 3})
	f.Add([]byte{2, 0, 2, 5, 1, 3, 2, 3, 1, 0x3f, 2, 0, 0, 0, 0, 30, 1, 2, 30, 1, 2, 200, 0, 5, 1, 0, 3})
	f.Add([]byte{1, 0, 1, 1, 1, 0, 0x1b, 0, 0, 0, 0, 1, 2, 6, 1, 6, 0, 1, 1, 5, 2, 5, 255, 1, 2, 0, 1, 6})
	f.Add([]byte{3, 0, 3, 10, 2, 0, 1, 10, 1, 3, 10, 1, 4, 0xff, 4, 0, 0, 0, 0, 1, 1, 1, 60, 2, 1, 0, 3, 1, 0, 5, 0, 0, 4})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := &bytesReader{b: data}
		p, env := fuzzWorld(r)
		var s State
		now := t0
		ids := map[string]bool{}
		for i := 0; i < 64 && r.more(); i++ {
			adv := r.next()
			switch {
			case adv == 255 && !s.Timer.IsZero():
				now = s.Timer // the timer fires on time
			case adv >= 200:
				now = now.Add(time.Duration(adv-199) * time.Hour) // downtime
			default:
				now = now.Add(time.Duration(adv) * 15 * time.Second)
			}
			e := fuzzEvent(r)
			next, acts, err := Step(s, e, now, p, env)
			next2, acts2, err2 := Step(s, e, now, p, env)
			if !reflect.DeepEqual(next, next2) || !reflect.DeepEqual(acts, acts2) || (err == nil) != (err2 == nil) {
				t.Fatalf("non-deterministic on %T%+v", e, e)
			}
			if err != nil {
				if acts != nil || !reflect.DeepEqual(next, s) {
					t.Fatalf("%T%+v failed (%v) but changed state or acted", e, e, err)
				}
				continue
			}
			if err := checkStep(s, next, acts, now); err != nil {
				t.Fatalf("%T%+v at +%v: %v\nstate %+v", e, e, now.Sub(t0), err, next)
			}
			for _, pg := range pagesOf(acts) {
				if ids[pg.ID] {
					t.Fatalf("page ID %s reused", pg.ID)
				}
				ids[pg.ID] = true
			}
			rt, err := roundTrip(next)
			if err != nil {
				t.Fatal(err)
			}
			s = rt
		}
	})
}

package twilio

import (
	"strings"
	"unicode/utf8"

	"github.com/twilio/twilio-go/twiml"
)

// Keys a person presses on a voice page; the gather webhook reads them
// from the Digits form value.
const (
	AckDigit      = "1"
	ResolveDigit  = "2"
	EscalateDigit = "3"
	RepeatDigit   = "9"
)

// GatherPrompt is read out inside the Gather, after the page's speech.
const GatherPrompt = "Press 1 to acknowledge, 2 to resolve, 3 to escalate, or 9 to hear this again."

// NoKeyGoodbye is read out when the Gather times out without a key.
const NoKeyGoodbye = "No key pressed. Goodbye."

// GatherTwiML is the TwiML of a voice page: say speech, then wait up to ten
// seconds for one key (posted to action), then say goodbye and hang up.
// Twilio gives the Gather's action URL the pressed key as Digits.
func GatherTwiML(speech, action string) (string, error) {
	return twiml.Voice([]twiml.Element{
		twiml.VoiceSay{Message: cleanText(speech)},
		twiml.VoiceGather{
			Input:     "dtmf",
			NumDigits: "1",
			Action:    action,
			Method:    "POST",
			Timeout:   "10",
			InnerElements: []twiml.Element{
				twiml.VoiceSay{Message: GatherPrompt},
			},
		},
		twiml.VoiceSay{Message: NoKeyGoodbye},
	})
}

// MessageTwiML answers an incoming SMS webhook with one reply message.
func MessageTwiML(text string) (string, error) {
	return twiml.Messages([]twiml.Element{
		twiml.MessagingMessage{Body: cutUTF16(cleanText(text), maxBodyUTF16)},
	})
}

// SayTwiML answers a gather webhook: say text and hang up.
func SayTwiML(text string) (string, error) {
	return twiml.Voice([]twiml.Element{
		twiml.VoiceSay{Message: cleanText(text)},
		twiml.VoiceHangup{},
	})
}

// cleanText makes s safe inside XML: invalid UTF-8 and characters XML 1.0
// forbids (control characters, from an email subject say) become spaces.
// The twiml package escapes markup characters but passes these through,
// which would make the whole document unparseable.
func cleanText(s string) string {
	ok := true
	for _, r := range s {
		if !xmlChar(r) {
			ok = false
			break
		}
	}
	if ok && utf8.ValidString(s) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if !xmlChar(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, " "))
}

// xmlChar reports whether r is a Char of XML 1.0.
func xmlChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

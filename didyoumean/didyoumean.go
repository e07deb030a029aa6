// Package didyoumean suggests the name someone probably meant: one rule
// for every "did you mean" pagerd prints, in rota files and in payloads.
package didyoumean

import "strings"

// maxLen bounds the input considered: distance is quadratic, and nobody
// mistypes a 200-character field name.
const maxLen = 64

// Closest returns the candidate closest to s by edit distance, ignoring
// case, if it is close enough to be a plausible typo: at most two edits
// (three for names over eight characters), and fewer edits than s has
// characters. It returns "" when nothing is that close.
func Closest(s string, candidates []string) string {
	if len(s) > maxLen {
		return ""
	}
	best, bestD := "", 1<<30
	for _, c := range candidates {
		if d := Distance(strings.ToLower(s), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	limit := 2
	if len(s) > 8 {
		limit = 3
	}
	if bestD <= limit && bestD < len(s) {
		return best
	}
	return ""
}

// Distance is the optimal string alignment distance over runes:
// insertions, deletions, substitutions and swaps of neighbours each cost
// one, since a swapped pair ("dna" for "dan") is the commonest typo.
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

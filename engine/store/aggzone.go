package store

import (
	"strconv"
	"sync"
	"time"
)

// SQLite has no time zone database, so the local date of an instant is
// computed with the zone's UTC offset, which changes at the zone's
// transitions (DST, historical changes). The offsets are taken from Go's
// zone data between zoneFrom and zoneTo; instants outside that window
// use the offset at its edge.
var (
	zoneFrom = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	zoneTo   = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
)

// zoneSpans are a zone's offsets: offsets[0] before starts[0] (or from
// zoneFrom), offsets[i+1] from starts[i].
type zoneSpans struct {
	starts  []time.Time
	offsets []int
}

var zoneCache sync.Map // zone name → *zoneSpans

// spansOf returns loc's offset spans, found by stepping a day at a time
// and bisecting to the second where the offset changes (zones do not
// change twice within a day).
func spansOf(loc *time.Location) *zoneSpans {
	if z, ok := zoneCache.Load(loc.String()); ok {
		return z.(*zoneSpans)
	}
	off := func(t time.Time) int { _, o := t.In(loc).Zone(); return o }
	z := &zoneSpans{offsets: []int{off(zoneFrom)}}
	for t := zoneFrom; t.Before(zoneTo); {
		next := t.Add(24 * time.Hour)
		if off(next) != z.offsets[len(z.offsets)-1] {
			lo, hi := t, next // off(lo) is the current offset, off(hi) differs
			for hi.Sub(lo) > time.Second {
				mid := lo.Add(hi.Sub(lo) / 2).Truncate(time.Second)
				if off(mid) == off(lo) {
					lo = mid
				} else {
					hi = mid
				}
			}
			z.starts = append(z.starts, hi)
			z.offsets = append(z.offsets, off(hi))
		}
		t = next
	}
	zoneCache.Store(loc.String(), z)
	return z
}

// sqliteOffset is the SQL of the UTC offset in seconds of the instant
// col (SQLiteTime text) in loc: a constant for a zone with one offset,
// else a balanced tree of CASEs over the transitions, so that a row
// costs log2(transitions) comparisons. The transition instants are bound.
func sqliteOffset(col frag, loc *time.Location) frag {
	z := spansOf(loc)
	var tree func(lo, hi int) frag
	tree = func(lo, hi int) frag {
		if lo == hi {
			return frag{sql: strconv.Itoa(z.offsets[lo])}
		}
		mid := (lo + hi + 1) / 2 // offsets[mid] starts at starts[mid-1]
		return cat("CASE WHEN ", col, frag{" < ?", []any{z.starts[mid-1].Format(SQLiteTime)}},
			" THEN ", tree(lo, mid-1), " ELSE ", tree(mid, hi), " END")
	}
	return tree(0, len(z.offsets)-1)
}

// frag is a piece of SQL with "?" placeholders and their args in order.
type frag struct {
	sql  string
	args []any
}

// cat concatenates strings (SQL without placeholders) and frags.
func cat(parts ...any) frag {
	var out frag
	for _, p := range parts {
		switch x := p.(type) {
		case string:
			out.sql += x
		case frag:
			out.sql += x.sql
			out.args = append(out.args, x.args...)
		}
	}
	return out
}

package flow

import (
	"context"
	"math"
	"sort"
	"time"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
)

// History lists record id's stage history, oldest first: every state it
// entered, from where, by whom, when, and how long it had been in the
// previous one. Entries of pipelines on fields hidden from the actor are
// left out.
func (s *Service) History(ctx context.Context, a record.Actor, m *meta.Module, id string) ([]*store.StageEntry, error) {
	rights, err := s.Records.Readable(ctx, a, m, id)
	if err != nil {
		return nil, err
	}
	flows, err := s.forModule(ctx, m.AppKey, m.Key)
	if err != nil {
		return nil, err
	}
	hidden := map[string]bool{}
	for _, f := range flows {
		hidden[f.Key] = rights.Hidden(f.Field)
	}
	all, err := s.Store.RecordStages(ctx, m.AppKey, m.Key, id)
	if err != nil {
		return nil, err
	}
	out := []*store.StageEntry{}
	for _, e := range all {
		if !hidden[e.Flow] {
			out = append(out, e)
		}
	}
	return out, nil
}

// Stats is a pipeline's figures over a period.
type Stats struct {
	Flow   string      `json:"flow"`
	From   time.Time   `json:"from"`
	To     time.Time   `json:"to"`
	States []StageStat `json:"states"`
}

// StageStat is one state's figures: how many records entered and left it
// in the period; of those that entered, the share that went on to a later
// state of the pipeline (in the order of its states, lost states not
// counted) and the share that reached a won state, at any time since (nil
// for won and lost states); how long records that left it in the period
// had spent there, in days and in business hours (average and median; nil
// without such records).
type StageStat struct {
	State               string     `json:"state"`
	Label               meta.Label `json:"label"`
	Kind                string     `json:"kind"`
	Entered             int        `json:"entered"`
	Left                int        `json:"left"`
	ConversionNext      *float64   `json:"conversion_next"`
	ConversionWon       *float64   `json:"conversion_won"`
	AvgDays             *float64   `json:"avg_days"`
	MedianDays          *float64   `json:"median_days"`
	AvgBusinessHours    *float64   `json:"avg_business_hours"`
	MedianBusinessHours *float64   `json:"median_business_hours"`
}

// DefaultStatsPeriod is the period of Stats without a from.
const DefaultStatsPeriod = 90 * 24 * time.Hour

// Stats computes pipeline key's figures for [from, to) (zero to: now;
// zero from: DefaultStatsPeriod before to) over the records the actor may
// read.
func (s *Service) Stats(ctx context.Context, a record.Actor, app, key string, from, to time.Time) (*Stats, error) {
	f, err := s.Flow(ctx, app, key)
	if err != nil {
		return nil, err
	}
	m, err := s.Meta.Module(ctx, app, f.Module)
	if err != nil {
		return nil, err
	}
	reach, err := s.Records.ReachOf(ctx, &a, m)
	if err != nil {
		return nil, err
	}
	if reach.Rights.Hidden(f.Field) {
		return nil, errs.New(errs.NotFound, "flow.not_found", "key", key)
	}
	if to.IsZero() {
		to = s.Store.Now()
	}
	if from.IsZero() {
		from = to.Add(-DefaultStatsPeriod)
	}
	if !from.Before(to) {
		return nil, errs.New(errs.Invalid, "flow.bad_period")
	}
	// Everything since from: entries after to still tell where records
	// that entered a state in the period went next.
	rows, err := s.Store.FlowStages(ctx, m, f.Key, from, time.Time{}, reach.Read)
	if err != nil {
		return nil, err
	}
	return &Stats{Flow: f.Key, From: from.UTC(), To: to.UTC(), States: stageStats(f, rows, from, to)}, nil
}

// stageStats computes the figures from the history rows (oldest first).
func stageStats(f *Flow, rows []*store.StageEntry, from, to time.Time) []StageStat {
	order := map[string]int{}
	for i, st := range f.States {
		order[st.Key] = i
	}
	byRecord := map[string][]*store.StageEntry{}
	for _, r := range rows {
		byRecord[r.RecordID] = append(byRecord[r.RecordID], r)
	}
	in := func(t time.Time) bool { return !t.Before(from) && t.Before(to) }
	out := make([]StageStat, 0, len(f.States))
	for i, st := range f.States {
		stat := StageStat{State: st.Key, Label: st.Label, Kind: st.Kind}
		var days, hours []float64
		entrants, next, won := 0, 0, 0
		for _, entries := range byRecord {
			entered := -1
			for j, e := range entries {
				if e.To == st.Key && in(e.At) {
					stat.Entered++
					if entered < 0 {
						entered = j
					}
				}
				if e.From == st.Key && in(e.At) {
					stat.Left++
					days = append(days, float64(e.SecondsInPrev)/86400)
					if e.BusinessSecondsInPrev != nil {
						hours = append(hours, float64(*e.BusinessSecondsInPrev)/3600)
					}
				}
			}
			if entered < 0 {
				continue
			}
			entrants++
			wentOn, reachedWon := false, false
			for _, e := range entries[entered+1:] {
				later := f.State(e.To)
				if later == nil {
					continue
				}
				if later.Kind != KindLost && order[later.Key] > i {
					wentOn = true
				}
				if later.Kind == KindWon {
					reachedWon = true
				}
			}
			if wentOn {
				next++
			}
			if reachedWon {
				won++
			}
		}
		if st.Kind == KindOpen && entrants > 0 {
			stat.ConversionNext = ratio(next, entrants)
			stat.ConversionWon = ratio(won, entrants)
		}
		stat.AvgDays, stat.MedianDays = mean(days), median(days)
		stat.AvgBusinessHours, stat.MedianBusinessHours = mean(hours), median(hours)
		out = append(out, stat)
	}
	return out
}

func ratio(n, d int) *float64 {
	r := round4(float64(n) / float64(d))
	return &r
}

func mean(xs []float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	sum := 0.0
	for _, x := range xs {
		sum += x
	}
	r := round4(sum / float64(len(xs)))
	return &r
}

func median(xs []float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	r := s[len(s)/2]
	if len(s)%2 == 0 {
		r = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	r = round4(r)
	return &r
}

func round4(x float64) float64 { return math.Round(x*10000) / 10000 }

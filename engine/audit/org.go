package audit

import (
	"context"
	"sort"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/store"
)

// KindOrg is the kind of organisation entries: departments, roles and
// users changed through the admin API.
const KindOrg = "org"

// OrgChange is the access.Service.OnOrgChange callback. The change has
// committed already, so a failure to store its entry is logged, not
// returned.
func (l *Log) OrgChange(ctx context.Context, c access.OrgChange) {
	e, err := OrgEntry(ctx, c)
	if err == nil {
		err = l.Store.AppendAudit(context.WithoutCancel(ctx), e)
	}
	if err != nil {
		l.logger().Error("audit: organisation change not logged", "action", c.Action, "key", c.Key, "err", err)
	}
}

// OrgEntry builds the entry of an organisation change: kind org, the
// action (role.update, ...), record_id the department's, role's or user's
// id, the attributes that changed in the diff (every attribute on create;
// none on delete) and the key or email, plus c.Detail, in detail.
func OrgEntry(ctx context.Context, c access.OrgChange) (*store.AuditEntry, error) {
	req := RequestFrom(ctx)
	e := &store.AuditEntry{Kind: KindOrg, Action: c.Action, Actor: req.user(), Via: req.via(), RecordID: c.ID}
	if c.After != nil {
		keys := make([]string, 0, len(c.After))
		for k := range c.After {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		d, err := Diff(keys, c.Before, c.After)
		if err != nil {
			return nil, err
		}
		if e.Diff, err = marshal(d); err != nil {
			return nil, err
		}
	}
	detail := map[string]any{"key": c.Key}
	for k, v := range c.Detail {
		detail[k] = v
	}
	var err error
	e.Detail, err = marshal(detail)
	return e, err
}

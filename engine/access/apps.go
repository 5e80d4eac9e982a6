package access

// InApp reports whether the principal holds any permission in app (an
// action on one of its modules, or on all modules of all apps):
// administrators are in every app. An app a user can do nothing in is
// not shown to them (GET /api/apps).
func (p *Principal) InApp(app string) bool {
	if p.User != nil && p.User.IsAdmin {
		return true
	}
	for _, role := range p.Roles {
		for _, perm := range role.Permissions {
			if len(perm.Actions) > 0 && matches(perm.App, app) {
				return true
			}
		}
	}
	return false
}

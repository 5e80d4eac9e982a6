package openapi

import (
	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/i18n"
)

// addOrg adds the organisation admin API (designer/orgapi): users,
// departments and roles. Everything needs an administrator, except that
// users may read their own /api/users/{id}.
func (d *doc) addOrg() {
	const adminOnly = " Administrators only."
	users, depts, roles := []any{"users"}, []any{"departments"}, []any{"roles"}

	d.paths["/api/users"] = obj{
		"get": obj{
			"tags": users, "operationId": "users.list",
			"summary":     "List users",
			"description": "Users by email, with the keys of their departments and roles, a page at a time." + adminOnly,
			"parameters":  []any{paramRef("UsersLimit"), paramRef("Offset")},
			"responses":   responses(obj{"200": ok("A page of users.", ref("MemberList"))}, 400, 401, 403),
		},
		"post": obj{
			"tags": users, "operationId": "users.create",
			"summary":     "Create a user",
			"description": "A new user with their departments and roles (by key; unknown keys are refused)." + adminOnly,
			"requestBody": body(ref("UserInput"), ""),
			"responses":   responses(obj{"201": ok("The new user.", ref("Member"))}, 400, 401, 403, 409, 413, 422),
		},
	}
	d.paths["/api/users/{id}"] = obj{
		"parameters": []any{paramRef("UserId")},
		"get": obj{
			"tags": users, "operationId": "users.get",
			"summary":     "Get a user",
			"description": "Administrators may read any user; other users only themselves (403 otherwise).",
			"responses":   responses(obj{"200": ok("The user with their departments and roles.", ref("Member"))}, 401, 403, 404),
		},
		"patch": obj{
			"tags": users, "operationId": "users.update",
			"summary": "Change a user",
			"description": "Only the members sent change; departments and roles, when sent, replace the user's (an empty list " +
				"removes them all). Administrators cannot take away their own administrator rights or disable " +
				"themselves (422). A disabled user's requests are refused from then on." + adminOnly,
			"requestBody": body(ref("UserPatch"), ""),
			"responses":   responses(obj{"200": ok("The changed user.", ref("Member"))}, 400, 401, 403, 404, 413, 422),
		},
	}

	d.paths["/api/departments"] = obj{
		"get": obj{
			"tags": depts, "operationId": "departments.list",
			"summary":     "List departments",
			"description": "Every department in tree order: depth first, siblings by key, each after its parent; \"depth\" is its level (0 at the top)." + adminOnly,
			"responses":   responses(obj{"200": ok("The organisation tree.", ref("DepartmentList"))}, 401, 403),
		},
		"post": obj{
			"tags": depts, "operationId": "departments.create",
			"summary":     "Create a department",
			"requestBody": body(ref("DepartmentInput"), ""),
			"description": "A duplicate key is a 409; an unknown parent or manager a 422." + adminOnly,
			"responses":   responses(obj{"201": ok("The new department.", ref("Department"))}, 400, 401, 403, 409, 413, 422),
		},
	}
	d.paths["/api/departments/{key}"] = obj{
		"parameters": []any{paramRef("DepartmentKey")},
		"get": obj{
			"tags": depts, "operationId": "departments.get",
			"summary":     "Get a department",
			"description": "With the keys of its sub-departments and its members." + adminOnly,
			"responses":   responses(obj{"200": ok("The department.", ref("DepartmentDetail"))}, 401, 403, 404),
		},
		"patch": obj{
			"tags": depts, "operationId": "departments.update",
			"summary": "Change a department's label, parent or manager",
			"description": "Only the members sent change; keys never change. A parent at or below the department itself " +
				"is refused (422): it would make a cycle." + adminOnly,
			"requestBody": body(ref("DepartmentPatch"), ""),
			"responses":   responses(obj{"200": ok("The changed department.", ref("Department"))}, 400, 401, 403, 404, 409, 413, 422),
		},
		"delete": obj{
			"tags": depts, "operationId": "departments.delete",
			"summary":     "Delete a department",
			"description": "Only a department without sub-departments and members; otherwise a 409 naming them." + adminOnly,
			"responses":   responses(obj{"204": noContent("Deleted.")}, 401, 403, 404, 409),
		},
	}

	d.paths["/api/roles"] = obj{
		"get": obj{
			"tags": roles, "operationId": "roles.list",
			"summary":     "List roles",
			"description": "Every role by key, with its permissions." + adminOnly,
			"responses":   responses(obj{"200": ok("All roles.", ref("RoleList"))}, 401, 403),
		},
		"post": obj{
			"tags": roles, "operationId": "roles.create",
			"summary": "Create a role",
			"description": "Permissions are checked against the modules they name: unknown apps, modules, fields or actions " +
				"and scope expressions that do not translate are 422s naming the part at fault " +
				"(\"permissions[0].scope.read\"). A duplicate key is a 409." + adminOnly,
			"requestBody": body(ref("RoleInput"), ""),
			"responses":   responses(obj{"201": ok("The new role, permissions normalized.", ref("Role"))}, 400, 401, 403, 409, 413, 422),
		},
	}
	d.paths["/api/roles/{key}"] = obj{
		"parameters": []any{paramRef("RoleKey")},
		"get": obj{
			"tags": roles, "operationId": "roles.get",
			"summary":     "Get a role",
			"description": "Permissions whose module no longer exists are marked \"stale\": they grant nothing." + adminOnly,
			"responses":   responses(obj{"200": ok("The role.", ref("Role"))}, 401, 403, 404),
		},
		"put": obj{
			"tags": roles, "operationId": "roles.replace",
			"summary": "Replace a role's label and permissions",
			"description": "Keys never change: a different \"key\" is a 422. The GET document's key, label and permissions " +
				"may be sent back as they are (\"stale\" is ignored); stale permissions are then refused." + adminOnly,
			"requestBody": body(ref("RoleReplace"), ""),
			"responses":   responses(obj{"200": ok("The replaced role, permissions normalized.", ref("Role"))}, 400, 401, 403, 404, 413, 422),
		},
		"delete": obj{
			"tags": roles, "operationId": "roles.delete",
			"summary": "Delete a role",
			"description": "A role that users hold is a 409 naming them (by email) and changes nothing; with force=true " +
				"it is taken from them and deleted, the audit entry listing whom it was taken from." + adminOnly,
			"parameters": []any{obj{"name": "force", "in": "query", "schema": obj{"type": "boolean", "default": false},
				"description": "Delete the role even when users hold it, taking it from them."}},
			"responses": responses(obj{"204": noContent("Deleted.")}, 400, 401, 403, 404, 409),
		},
	}
}

// addOrgComponents adds the schemas and parameters of the organisation API.
func (d *doc) addOrgComponents() {
	s := d.schemas
	orgKey := func(description string) obj { return keySchema(access.MaxOrgKey, description) }
	keys := func(description string) obj {
		a := arrayOf(obj{"type": "string"})
		a["description"] = description
		return a
	}

	// Users.
	member := userProps()
	member["departments"] = keys("Keys of the user's departments, sorted.")
	member["roles"] = keys("Keys of the user's roles, sorted.")
	s["Member"] = obj{
		"type":        "object",
		"description": "A user with the keys of their departments and roles.",
		"required":    append(stringsToAny(userKeys), "departments", "roles"),
		"properties":  member,
	}
	s["MemberList"] = obj{
		"type":     "object",
		"required": []any{"users"},
		"properties": obj{
			"users":       arrayOf(ref("Member")),
			"next_offset": obj{"type": "integer", "minimum": 1, "description": "Pass as ?offset= for the next page; absent on the last page."},
		},
	}
	locale := func(description string) obj {
		return obj{"type": "string", "enum": stringsToAny(i18n.Locales), "description": description}
	}
	password := func(description string) obj {
		return obj{"type": "string", "format": "password", "minLength": access.MinPassword, "maxLength": 1024, "description": description}
	}
	s["UserInput"] = obj{
		"type":                 "object",
		"required":             []any{"email", "password"},
		"additionalProperties": false,
		"properties": obj{
			"email":       obj{"type": "string", "format": "email", "description": "Unique (case-insensitive); a duplicate is a 409."},
			"password":    password("At least " + itoa(access.MinPassword) + " bytes."),
			"name":        obj{"type": "string", "maxLength": access.MaxName, "description": "Default: the part of the email before \"@\"."},
			"is_admin":    obj{"type": "boolean", "default": false},
			"locale":      locale("Default: zh-CN."),
			"time_zone":   obj{"type": "string", "description": "An IANA time zone name. Default: Asia/Shanghai.", "examples": []any{"Asia/Shanghai"}},
			"departments": keys("Department keys."),
			"roles":       keys("Role keys."),
		},
		"examples": []any{obj{
			"email": "li.lei@example.com", "password": "correct-horse-battery", "name": "Li Lei",
			"locale": "zh-CN", "departments": []any{"sales_east"}, "roles": []any{"sales"},
		}},
	}
	s["UserPatch"] = obj{
		"type":                 "object",
		"additionalProperties": false,
		"description":          "Members not sent are left as they are.",
		"properties": obj{
			"name":        obj{"type": "string", "minLength": 1, "maxLength": access.MaxName},
			"is_admin":    obj{"type": "boolean"},
			"disabled":    obj{"type": "boolean", "description": "A disabled user cannot sign in, and their sessions and tokens stop working."},
			"locale":      locale(""),
			"time_zone":   obj{"type": "string", "description": "An IANA time zone name."},
			"password":    password("A new password."),
			"departments": keys("Department keys: replaces the user's departments."),
			"roles":       keys("Role keys: replaces the user's roles."),
		},
		"examples": []any{obj{"roles": []any{"sales", "sales_manager"}}},
	}

	// Departments.
	dept := func() obj {
		return obj{
			"id":         uuidSchema,
			"key":        orgKey("The department's key; it never changes."),
			"label":      ref("Label"),
			"parent":     obj{"type": []any{"string", "null"}, "description": "The parent department's key; null at the top."},
			"manager":    describe(nullUUID(), "The manager's user id; null when none."),
			"created_at": dateTimeSchema,
			"updated_at": dateTimeSchema,
		}
	}
	deptKeys := []any{"id", "key", "label", "parent", "manager", "created_at", "updated_at"}
	listed := dept()
	listed["depth"] = obj{"type": "integer", "minimum": 0, "description": "The department's level (0 at the top); only in lists."}
	s["Department"] = obj{
		"type":       "object",
		"required":   deptKeys,
		"properties": listed,
	}
	s["DepartmentList"] = obj{
		"type":       "object",
		"required":   []any{"departments"},
		"properties": obj{"departments": arrayOf(ref("Department"))},
	}
	detail := dept()
	detail["children"] = keys("Keys of the sub-departments.")
	detail["members"] = arrayOf(ref("UserSummary"))
	s["DepartmentDetail"] = obj{
		"type":       "object",
		"required":   append(append([]any(nil), deptKeys...), "children", "members"),
		"properties": detail,
	}
	s["DepartmentInput"] = obj{
		"type":                 "object",
		"required":             []any{"key", "label"},
		"additionalProperties": false,
		"properties": obj{
			"key":     orgKey("Lower-case letters, digits and single underscores, starting with a letter."),
			"label":   ref("Label"),
			"parent":  obj{"type": "string", "description": "The parent department's key; absent or \"\": at the top."},
			"manager": obj{"type": "string", "description": "The manager's user id; absent or \"\": none."},
		},
		"examples": []any{obj{"key": "sales_east", "label": obj{"en": "Sales East", "zh-CN": "华东销售部"}, "parent": "sales"}},
	}
	s["DepartmentPatch"] = obj{
		"type":                 "object",
		"additionalProperties": false,
		"description":          "Members not sent are left as they are.",
		"properties": obj{
			"label":   ref("Label"),
			"parent":  obj{"type": []any{"string", "null"}, "description": "The new parent's key; null or \"\": move to the top."},
			"manager": obj{"type": []any{"string", "null"}, "description": "The new manager's user id; null or \"\": none."},
		},
		"examples": []any{obj{"parent": nil}},
	}

	// Roles.
	scope := func(op string) obj {
		return obj{
			"type": "string",
			"description": "Which records " + op + " may touch: own (owned by the user), department (owned by a member " +
				"of the user's departments), department_tree (… or of a department below them), all, or an expression " +
				"over the module's fields with user.id, user.departments and user.roles. Empty or absent: all.",
			"examples": []any{access.ScopeOwn, access.ScopeDepartmentTree, "owner == user.id || created_by == user.id"},
		}
	}
	s["RoleScope"] = obj{
		"type":                 "object",
		"description":          "The record scopes of reads, updates and deletes.",
		"additionalProperties": false,
		"properties": obj{
			"read":   scope("reads"),
			"update": scope("updates"),
			"delete": scope("deletes"),
		},
	}
	s["Permission"] = obj{
		"type": "object",
		"description": "Actions on one module of one app, within record scopes, with per-field access. App or module " +
			"\"*\" matches every app, or every module of the app.",
		"required":             []any{"app", "module", "actions"},
		"additionalProperties": false,
		"properties": obj{
			"app":    obj{"type": "string", "description": "App key, or \"*\"."},
			"module": obj{"type": "string", "description": "Module key, or \"*\"."},
			"actions": obj{
				"type": "array", "minItems": 1,
				"items":       obj{"enum": stringsToAny(access.Actions)},
				"description": "transfer: change a record's owner; manage: change the module's metadata.",
			},
			"scope": ref("RoleScope"),
			"fields": obj{
				"type": "object",
				"description": "Field key → access: hidden (never shown), read, or write. Fields not named are " +
					"read-write. A user with several roles gets the most open level any role that may read gives.",
				"additionalProperties": obj{"enum": []any{access.FieldHidden, access.FieldRead, access.FieldWrite}},
			},
			"stale": obj{"type": "boolean", "readOnly": true,
				"description": "Shown (true) when the module no longer exists: the permission grants nothing. Ignored when sent back."},
		},
	}
	roleEx := obj{
		"key": "sales", "label": obj{"en": "Sales", "zh-CN": "销售"},
		"permissions": []any{obj{
			"app": "crm", "module": "*", "actions": []any{access.ActCreate, access.ActRead, access.ActUpdate},
			"scope": obj{"read": access.ScopeDepartmentTree, "update": access.ScopeOwn},
		}},
	}
	s["Role"] = obj{
		"type":     "object",
		"required": []any{"id", "key", "label", "permissions", "created_at", "updated_at"},
		"properties": obj{
			"id":          uuidSchema,
			"key":         orgKey("The role's key; it never changes."),
			"label":       ref("Label"),
			"permissions": arrayOf(ref("Permission")),
			"created_at":  dateTimeSchema,
			"updated_at":  dateTimeSchema,
		},
	}
	s["RoleList"] = obj{
		"type":       "object",
		"required":   []any{"roles"},
		"properties": obj{"roles": arrayOf(ref("Role"))},
	}
	perms := arrayOf(ref("Permission"))
	perms["maxItems"] = access.MaxPerms
	s["RoleInput"] = obj{
		"type":                 "object",
		"required":             []any{"key", "label"},
		"additionalProperties": false,
		"properties": obj{
			"key":         orgKey("Lower-case letters, digits and single underscores, starting with a letter."),
			"label":       ref("Label"),
			"permissions": perms,
		},
		"examples": []any{roleEx},
	}
	s["RoleReplace"] = obj{
		"type":                 "object",
		"required":             []any{"label"},
		"additionalProperties": false,
		"properties": obj{
			"key":         obj{"type": "string", "description": "Optional; must be the key in the path."},
			"label":       ref("Label"),
			"permissions": perms,
		},
		"examples": []any{roleEx},
	}

	p := d.parameters
	p["UserId"] = obj{"name": "id", "in": "path", "required": true, "description": "User id.", "schema": uuidSchema}
	p["DepartmentKey"] = obj{"name": "key", "in": "path", "required": true, "description": "Department key.",
		"schema": keySchema(access.MaxOrgKey, "")}
	p["RoleKey"] = obj{"name": "key", "in": "path", "required": true, "description": "Role key.",
		"schema": keySchema(access.MaxOrgKey, "")}
	p["UsersLimit"] = obj{"name": "limit", "in": "query", "description": "Page size (0: the default).",
		"schema": obj{"type": "integer", "minimum": 0, "maximum": access.MaxUsers, "default": 50}}
	p["Offset"] = obj{"name": "offset", "in": "query", "description": "How many users to skip: the next_offset of the previous page.",
		"schema": obj{"type": "integer", "minimum": 0, "default": 0}}
}

package access

import "github.com/tessera-app/tessera/engine/i18n"

func init() {
	i18n.RegisterAll(map[string]map[string]string{
		"access.bad_email":       {i18n.EN: "Enter a valid email address.", i18n.ZhCN: "请输入有效的邮箱地址。"},
		"access.bad_password":    {i18n.EN: "The password must have at least {min} characters.", i18n.ZhCN: "密码至少需要 {min} 个字符。"},
		"access.bad_credentials": {i18n.EN: "Wrong email or password.", i18n.ZhCN: "邮箱或密码错误。"},
		"access.disabled":        {i18n.EN: "This account is disabled.", i18n.ZhCN: "该账号已停用。"},
		"access.signin_required": {i18n.EN: "Sign in first.", i18n.ZhCN: "请先登录。"},
		"access.admin_required":  {i18n.EN: "Only administrators may change metadata.", i18n.ZhCN: "只有管理员可以修改元数据。"},
		"access.user_exists":     {i18n.EN: "A user with email {email} already exists.", i18n.ZhCN: "邮箱为 {email} 的用户已存在。"},
		"access.user_not_found":  {i18n.EN: "User not found.", i18n.ZhCN: "用户不存在。"},

		"access.token_invalid":       {i18n.EN: "This session or API token is not valid. Sign in again.", i18n.ZhCN: "会话或 API 令牌无效，请重新登录。"},
		"access.session_ended":       {i18n.EN: "This session has ended. Sign in again.", i18n.ZhCN: "该会话已结束，请重新登录。"},
		"access.session_expired":     {i18n.EN: "Your session has expired. Sign in again.", i18n.ZhCN: "会话已过期，请重新登录。"},
		"access.token_revoked":       {i18n.EN: "This API token has been revoked.", i18n.ZhCN: "该 API 令牌已被撤销。"},
		"access.token_expired":       {i18n.EN: "This API token has expired.", i18n.ZhCN: "该 API 令牌已过期。"},
		"access.too_many_attempts":   {i18n.EN: "Too many failed sign-in attempts. Try again in {minutes} min.", i18n.ZhCN: "登录失败次数过多，请 {minutes} 分钟后再试。"},
		"access.token_name":          {i18n.EN: "Give the token a name of 1 to {max} characters.", i18n.ZhCN: "令牌名称需为 1 到 {max} 个字符。"},
		"access.token_expiry_format": {i18n.EN: "Enter the expiry as an RFC 3339 date and time, such as 2030-01-31T18:00:00Z.", i18n.ZhCN: "过期时间需为 RFC 3339 格式的日期时间，例如 2030-01-31T18:00:00Z。"},
		"access.token_expiry_past":   {i18n.EN: "The expiry must be in the future.", i18n.ZhCN: "过期时间必须晚于当前时间。"},
		"access.token_not_found":     {i18n.EN: "API token not found.", i18n.ZhCN: "API 令牌不存在。"},
		"access.session_not_found":   {i18n.EN: "Session not found.", i18n.ZhCN: "会话不存在。"},
		"access.too_many_tokens":     {i18n.EN: "You already have {max} API tokens; revoke one first.", i18n.ZhCN: "API 令牌已达上限（{max} 个），请先撤销一个。"},
		"access.token_cannot_mint":   {i18n.EN: "An API token cannot create API tokens; sign in with your password to create one.", i18n.ZhCN: "API 令牌不能创建新的 API 令牌，请使用密码登录后创建。"},
	})
}

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
	})
}

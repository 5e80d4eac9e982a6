package related

import "github.com/tessera-app/tessera/engine/i18n"

func init() {
	i18n.RegisterAll(map[string]map[string]string{
		"related.no_relation": {i18n.EN: "{module} does not look this record up through \"{field}\" (or you may not see it).", i18n.ZhCN: "{module}没有通过“{field}”关联此记录（或您无权查看）。"},
	})
}

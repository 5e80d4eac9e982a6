package summary

import "github.com/tessera-app/tessera/engine/i18n"

func init() {
	i18n.RegisterAll(map[string]map[string]string{
		"summary.not_found":  {i18n.EN: "There is no live aggregate \"{id}\".", i18n.ZhCN: "没有实时汇总“{id}”。"},
		"summary.admin_only": {i18n.EN: "Only administrators may list, check or rebuild live aggregates.", i18n.ZhCN: "只有管理员可以查看、核对或重建实时汇总。"},
	})
}

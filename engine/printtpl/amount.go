package printtpl

import (
	"strings"

	"github.com/tessera-app/tessera/engine/errs"
)

// MaxAmountYuan bounds AmountInWords: amounts below 10^16 yuan (up to
// 9999万亿), the largest 万 and 亿 spell without 兆.
const MaxAmountYuan = 1e16

var (
	capDigits = []rune("零壹贰叁肆伍陆柒捌玖")
	capUnits  = []string{"", "拾", "佰", "仟"} // within a group of four digits
)

// AmountInWords spells an amount of money in Chinese financial capitals
// (大写金额) by the rules of the People's Bank of China for bills:
//
//   - whole yuan end in 整 (壹万贰仟元整); an amount with 角 or 分 has none
//     (壹仟肆佰零玖元伍角, 陆仟零柒元壹角肆分);
//   - zeros inside the integer are one 零 however many there are
//     (壹仟零壹元整, 壹亿零壹仟元整), and none at the end of a section
//     (壹拾万元整);
//   - 壹 is written before 拾 (壹拾陆元整);
//   - 零 before 分 when 角 is zero (叁佰贰拾伍元零肆分); none between 元 and
//     a 角 when the yuan end in zeros (the rules allow both;
//     壹仟陆佰捌拾元叁角贰分);
//   - less than one yuan has no 元 (伍角, 捌分); zero is 零元整;
//   - negative amounts start with 负.
//
// amount is a decimal number as text ("12000", "-0.5", "1409.50"); it is
// rounded half away from zero to the fen. Amounts of 10^16 yuan or more
// are refused.
func AmountInWords(amount string) (string, error) {
	neg, fen, err := parseFen(amount)
	if err != nil {
		return "", err
	}
	yuan, jiao, cents := fen/100, fen/10%10, fen%10
	var b strings.Builder
	if neg && fen != 0 {
		b.WriteString("负")
	}
	if yuan > 0 {
		b.WriteString(spellYuan(yuan))
		b.WriteString("元")
	}
	switch {
	case jiao == 0 && cents == 0:
		if yuan == 0 {
			b.WriteString("零元")
		}
		b.WriteString("整")
	case jiao == 0:
		if yuan > 0 {
			b.WriteRune('零')
		}
		b.WriteRune(capDigits[cents])
		b.WriteString("分")
	default:
		b.WriteRune(capDigits[jiao])
		b.WriteString("角")
		if cents > 0 {
			b.WriteRune(capDigits[cents])
			b.WriteString("分")
		}
	}
	return b.String(), nil
}

// spellYuan spells a positive integer below 10^16: the 亿 above, spelled
// in turn (壹万贰仟亿), then the rest; a rest below 1000万 after 亿
// begins with 零 (壹亿零伍佰万).
func spellYuan(n int64) string {
	const yi = 100000000
	if n < yi {
		return spell8(n)
	}
	s := spell8(n/yi) + "亿"
	if rest := n % yi; rest > 0 {
		if rest < yi/10 {
			s += "零"
		}
		s += spell8(rest)
	}
	return s
}

// spell8 spells 1 … 99999999: the 万 above, then the rest, with a 零
// when the rest has fewer than four digits (壹万零伍佰).
func spell8(n int64) string {
	hi, lo := n/10000, n%10000
	s := ""
	if hi > 0 {
		s = spell4(hi) + "万"
		if lo > 0 && lo < 1000 {
			s += "零"
		}
	}
	if lo > 0 {
		s += spell4(lo)
	}
	return s
}

// spell4 spells 1 … 9999: one 零 for each run of zeros between digits,
// none at the end (壹仟零壹, 壹仟壹佰).
func spell4(n int64) string {
	var b strings.Builder
	zero := false
	for u, p := 3, int64(1000); u >= 0; u, p = u-1, p/10 {
		d := n / p % 10
		if d == 0 {
			zero = b.Len() > 0
			continue
		}
		if zero {
			b.WriteRune('零')
			zero = false
		}
		b.WriteRune(capDigits[d])
		b.WriteString(capUnits[u])
	}
	return b.String()
}

// parseFen reads a decimal amount as a sign and a number of fen, rounding
// half away from zero.
func parseFen(s string) (neg bool, fen int64, err error) {
	bad := func() (bool, int64, error) {
		return false, 0, errs.New(errs.Invalid, "printtpl.bad_amount", "value", s)
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return bad()
	}
	if s[0] == '-' || s[0] == '+' {
		neg = s[0] == '-'
		s = s[1:]
	}
	intPart, frac, _ := strings.Cut(s, ".")
	if intPart == "" && frac == "" {
		return bad()
	}
	intPart = strings.TrimLeft(intPart, "0")
	if len(intPart) > 16 {
		return false, 0, errs.New(errs.Invalid, "printtpl.amount_too_large", "value", s)
	}
	for _, r := range intPart + frac {
		if r < '0' || r > '9' {
			return bad()
		}
	}
	for _, r := range intPart {
		fen = fen*10 + int64(r-'0')
	}
	frac += "000"
	fen = fen*100 + int64(frac[0]-'0')*10 + int64(frac[1]-'0')
	if frac[2] >= '5' {
		fen++
	}
	if fen >= int64(MaxAmountYuan)*100 {
		return false, 0, errs.New(errs.Invalid, "printtpl.amount_too_large", "value", s)
	}
	return neg, fen, nil
}

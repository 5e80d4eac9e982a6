package httpx

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/labstack/echo/v4"
)

// Proxies are the networks of the reverse proxies in front of Tessera
// (--trusted-proxies). Only a request whose peer is in one of them may say
// through forwarding headers who the client is (X-Forwarded-For,
// X-Real-IP) and how it connected (X-Forwarded-Proto and the like). From
// anyone else those headers are the client's own words, so they are
// removed: the client address used for sign-in throttling, the audit log
// and the logs is then the peer's. Empty (the default) trusts nobody,
// which is right when clients connect directly, as on a typical
// on-premises network.
type Proxies []netip.Prefix

// ParseProxies reads a comma-separated list of CIDRs ("10.0.0.0/8,
// 192.168.1.10"); a bare address means that one host.
func ParseProxies(s string) (Proxies, error) {
	var out Proxies
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		var p netip.Prefix
		var err error
		if strings.Contains(part, "/") {
			p, err = netip.ParsePrefix(part)
		} else {
			var a netip.Addr
			if a, err = netip.ParseAddr(part); err == nil {
				p = netip.PrefixFrom(a, a.BitLen())
			}
		}
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q is not a CIDR such as 10.0.0.0/8 or an IP address", part)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// Trusts reports whether ip (text) is the address of a trusted proxy.
func (ps Proxies) Trusts(ip string) bool {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// forwardingHeaders are the request headers through which a proxy
// describes the client (echo reads all of them for RealIP and Scheme).
var forwardingHeaders = []string{
	echo.HeaderXForwardedFor, echo.HeaderXRealIP, echo.HeaderXForwardedProto,
	echo.HeaderXForwardedProtocol, echo.HeaderXForwardedSsl, echo.HeaderXUrlScheme,
	"X-Forwarded-Host", "Forwarded",
}

// StripUntrusted is pre-routing middleware that removes the forwarding
// headers of requests whose peer is not a trusted proxy.
func (ps Proxies) StripUntrusted(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !ps.Trusts(peerIP(c.Request())) {
			h := c.Request().Header
			for _, name := range forwardingHeaders {
				h.Del(name)
			}
		}
		return next(c)
	}
}

// IPExtractor returns the client address: the peer's, unless the peer is a
// trusted proxy, which may name the client in X-Forwarded-For (the
// rightmost address that is not itself a trusted proxy) or else in
// X-Real-IP.
func (ps Proxies) IPExtractor() echo.IPExtractor {
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, p := range ps {
		opts = append(opts, echo.TrustIPRange(prefixNet(p)))
	}
	xff, realIP := echo.ExtractIPFromXFFHeader(opts...), echo.ExtractIPFromRealIPHeader(opts...)
	return func(r *http.Request) string {
		if !ps.Trusts(peerIP(r)) {
			return peerIP(r)
		}
		if len(r.Header.Values(echo.HeaderXForwardedFor)) > 0 {
			return xff(r)
		}
		return realIP(r)
	}
}

func peerIP(r *http.Request) string { return echo.ExtractIPDirect()(r) }

func prefixNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

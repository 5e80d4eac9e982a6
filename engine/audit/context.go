package audit

import "context"

// Request is what the edge (HTTP) knows about the caller. It travels in
// the context to the entries that do not get an actor from the write
// path: sign-ins and metadata changes.
type Request struct {
	Via        string // channel: api, ui, ...; "" means system
	RemoteAddr string // client address
	UserAgent  string
	// User returns the signed-in user's id, or "". It is called when an
	// entry is written, so it may be set before authentication runs.
	User func() string
}

type requestKey struct{}

// WithRequest returns ctx carrying r.
func WithRequest(ctx context.Context, r *Request) context.Context {
	return context.WithValue(ctx, requestKey{}, r)
}

// RequestFrom returns the request in ctx; a zero Request (channel system)
// when there is none.
func RequestFrom(ctx context.Context) *Request {
	if r, ok := ctx.Value(requestKey{}).(*Request); ok && r != nil {
		return r
	}
	return &Request{}
}

func (r *Request) via() string {
	if r.Via == "" {
		return ViaSystem
	}
	return r.Via
}

func (r *Request) user() string {
	if r.User == nil {
		return ""
	}
	return r.User()
}

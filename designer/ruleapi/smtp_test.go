package ruleapi_test

import (
	"bufio"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeSMTP is the smallest SMTP server net/smtp will talk to: it accepts
// every message and keeps its DATA.
type fakeSMTP struct {
	ln   net.Listener
	mu   sync.Mutex
	msgs []string
}

func startSMTP(t *testing.T) *fakeSMTP {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeSMTP{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go f.serve(c)
		}
	}()
	return f
}

func (f *fakeSMTP) serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	say := func(s string) { c.Write([]byte(s + "\r\n")) }
	say("220 fake ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			say("250 fake")
		case strings.HasPrefix(cmd, "DATA"):
			say("354 go on")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil || l == ".\r\n" {
					break
				}
				b.WriteString(l)
			}
			f.mu.Lock()
			f.msgs = append(f.msgs, b.String())
			f.mu.Unlock()
			say("250 queued")
		case strings.HasPrefix(cmd, "QUIT"):
			say("221 bye")
			return
		default: // MAIL, RCPT, RSET, NOOP
			say("250 ok")
		}
	}
}

func TestEmailThroughSMTP(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		smtpd := startSMTP(t)
		t.Setenv("TESSERA_SMTP_URL", "smtp://"+smtpd.ln.Addr().String())
		t.Setenv("TESSERA_SMTP_FROM", "tessera@example.com")
		ann, _ := e.user(t, "ann")
		e.rule(t, map[string]any{"key": "mail", "label": label("Mail"), "module": "lead",
			"trigger": map[string]any{"type": "created"},
			"actions": []any{map[string]any{"type": "email", "to": "owner", "subject": label("New lead {name}"), "message": label("Please call {name}.")}}})
		// A subject built from record data must not inject headers.
		e.create(t, "lead", map[string]any{"name": "Acme\r\nBcc: evil@example.com", "owner": ann})
		e.runJobs(t) // the rule: queues the message
		e.runJobs(t) // the delivery
		smtpd.mu.Lock()
		defer smtpd.mu.Unlock()
		if len(smtpd.msgs) != 1 {
			t.Fatalf("messages delivered: %d, want 1", len(smtpd.msgs))
		}
		m := smtpd.msgs[0]
		if !strings.Contains(m, "To: ann@example.com") || !strings.Contains(m, "Subject: New lead Acme") || !strings.Contains(m, "Please call Acme") {
			t.Errorf("message:\n%s", m)
		}
		headers, _, _ := strings.Cut(m, "\r\n\r\n")
		for _, line := range strings.Split(headers, "\r\n") {
			if strings.HasPrefix(line, "Bcc:") {
				t.Errorf("header injected: %q", line)
			}
		}
	})
}

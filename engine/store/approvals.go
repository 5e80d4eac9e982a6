package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/i18n"
)

// The SQL of approval processes, instances, tasks and decisions. The
// approval engine (engine/approval) owns their meaning: here they are rows.

func init() {
	i18n.RegisterAll(map[string]map[string]string{
		"store.approval_process_not_found": {i18n.EN: "Approval process \"{key}\" does not exist.", i18n.ZhCN: "审批流程“{key}”不存在。"},
		"store.approval_process_exists":    {i18n.EN: "An approval process \"{key}\" exists already.", i18n.ZhCN: "审批流程“{key}”已存在。"},
		"store.approval_process_stale":     {i18n.EN: "Approval process \"{key}\" was changed meanwhile; reload it and try again.", i18n.ZhCN: "审批流程“{key}”已被他人修改，请重新加载后再试。"},
		"store.approval_not_found":         {i18n.EN: "Approval {id} does not exist.", i18n.ZhCN: "审批 {id} 不存在。"},
		"store.approval_pending_exists":    {i18n.EN: "This record is already waiting for an approval; finish or withdraw it first.", i18n.ZhCN: "该记录已有进行中的审批，请先完成或撤回。"},
		"store.approval_changed":           {i18n.EN: "The approval was changed meanwhile; reload it and try again.", i18n.ZhCN: "审批已被他人处理，请刷新后再试。"},
		"store.approval_in_use":            {i18n.EN: "Approval process \"{key}\" has {count} running instance(s); finish or withdraw them first.", i18n.ZhCN: "审批流程“{key}”还有 {count} 个进行中的审批，请先完成或撤回。"},
	})
}

// ApprovalProcessRow is a stored approval process; Doc is its definition.
type ApprovalProcessRow struct {
	ID, AppID, App, Key, Module string
	Version                     int
	Doc                         json.RawMessage
	CreatedAt, UpdatedAt        time.Time
}

// ApprovalInstance is one run of a process on one record.
type ApprovalInstance struct {
	ID, App, Module, RecordID, Title string
	ProcessID, ProcessKey            string
	ProcessVersion                   int
	Status                           string
	Step, Round                      int
	SubmitterID, Source              string
	FlowKey, TransitionKey           string
	Values                           json.RawMessage
	Lock                             bool
	Error                            string
	LastRemindAt                     time.Time
	Version                          int
	StartedAt, FinishedAt            time.Time
}

// ApprovalTask is one approver's part in one round of a step.
type ApprovalTask struct {
	ID, InstanceID      string
	Step                int
	StepKey             string
	Round               int
	Kind                string // approve, resubmit
	AssigneeID          string
	Status              string // pending, waiting, queued, approved, rejected, returned, cancelled
	ParentID, AfterID   string
	Reason              string
	DueAt               time.Time
	TimedOut            bool
	CreatedAt, ActedAt  time.Time
	App, Module, Record string // of the instance, filled by inbox reads
}

// ApprovalDecision is one entry of an instance's history.
type ApprovalDecision struct {
	ID, InstanceID, TaskID, StepKey, ActorID, Action, Comment string
	Changes, Detail                                           json.RawMessage
	At                                                        time.Time
}

func timeOrNil(d Dialect, t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return TimeArg(d, t)
}

func jsonOrNil(doc json.RawMessage) any {
	if len(doc) == 0 || string(doc) == "null" {
		return nil
	}
	return string(doc)
}

// queryAll runs a query and scans every row with scan (an empty result is
// an empty, non-nil slice).
func queryAll[T any](ctx context.Context, q queryer, query string, args []any, scan func(scanner) (T, error)) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func (s *Store) reader(tx *Tx) queryer {
	if tx != nil {
		return tx
	}
	return s.R
}

// ---- processes ----

const processCols = `p.id, p.app_id, p.app, p.key, p.module, p.version, p.doc, p.created_at, p.updated_at`

func scanProcess(r scanner) (*ApprovalProcessRow, error) {
	var p ApprovalProcessRow
	var doc string
	var c, u any
	if err := r.Scan(&p.ID, &p.AppID, &p.App, &p.Key, &p.Module, &p.Version, &doc, &c, &u); err != nil {
		return nil, err
	}
	p.Doc, p.CreatedAt, p.UpdatedAt = json.RawMessage(doc), DecodeTime(c), DecodeTime(u)
	return &p, nil
}

// CreateApprovalProcess inserts a process at version 1 (and that version).
func (s *Store) CreateApprovalProcess(ctx context.Context, p *ApprovalProcessRow) error {
	p.ID, p.Version = NewID(), 1
	return s.InTx(ctx, func(tx *Tx) error {
		now := TimeArg(s.D, tx.Now)
		p.CreatedAt, p.UpdatedAt = tx.Now, tx.Now
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO approval_processes (id, app_id, app, key, module, version, doc, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?)`), p.ID, p.AppID, p.App, p.Key, p.Module, string(p.Doc), now, now)
		if _, dup := s.D.UniqueViolation(err); dup {
			return errs.New(errs.Conflict, "store.approval_process_exists", "key", p.Key)
		}
		if err != nil {
			return err
		}
		return s.insertProcessVersion(ctx, tx, p)
	})
}

func (s *Store) insertProcessVersion(ctx context.Context, tx *Tx, p *ApprovalProcessRow) error {
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO approval_process_versions (process_id, version, doc, created_at) VALUES (?, ?, ?, ?)`),
		p.ID, p.Version, string(p.Doc), TimeArg(s.D, tx.Now))
	return err
}

// UpdateApprovalProcess stores a new version of a process if its version is
// still version; earlier versions stay for the instances running on them.
func (s *Store) UpdateApprovalProcess(ctx context.Context, p *ApprovalProcessRow, version int) error {
	return s.InTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE approval_processes SET module = ?, doc = ?, version = version + 1, updated_at = ?
			WHERE id = ? AND version = ?`), p.Module, string(p.Doc), TimeArg(s.D, tx.Now), p.ID, version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.New(errs.Conflict, "store.approval_process_stale", "key", p.Key)
		}
		p.Version, p.UpdatedAt = version+1, tx.Now
		return s.insertProcessVersion(ctx, tx, p)
	})
}

// DeleteApprovalProcess removes a process unless instances of it are
// pending (a conflict naming how many). Finished instances keep their
// history and the versions they ran on.
func (s *Store) DeleteApprovalProcess(ctx context.Context, p *ApprovalProcessRow) error {
	return s.InTx(ctx, func(tx *Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT count(*) FROM approval_instances WHERE process_id = ? AND status = 'pending'`), p.ID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return errs.New(errs.Conflict, "store.approval_in_use", "key", p.Key, "count", n)
		}
		_, err := tx.ExecContext(ctx, s.q(`DELETE FROM approval_processes WHERE id = ?`), p.ID)
		return err
	})
}

// ApprovalProcess returns one process of an app.
func (s *Store) ApprovalProcess(ctx context.Context, app, key string) (*ApprovalProcessRow, error) {
	p, err := scanProcess(s.rd(ctx).QueryRowContext(ctx, s.q(`SELECT `+processCols+` FROM approval_processes p WHERE p.app = ? AND p.key = ?`), app, key))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.New(errs.NotFound, "store.approval_process_not_found", "key", key)
	}
	return p, err
}

// ApprovalProcesses lists an app's processes by key ("" module: all).
func (s *Store) ApprovalProcesses(ctx context.Context, app, module string) ([]*ApprovalProcessRow, error) {
	q, args := `SELECT `+processCols+` FROM approval_processes p WHERE p.app = ?`, []any{app}
	if module != "" {
		q, args = q+` AND p.module = ?`, append(args, module)
	}
	return queryAll(ctx, s.rd(ctx), s.q(q+` ORDER BY p.key`), args, scanProcess)
}

// ApprovalProcessVersion returns the definition of one version of a process.
func (s *Store) ApprovalProcessVersion(ctx context.Context, processID string, version int) (json.RawMessage, error) {
	var doc string
	err := s.rd(ctx).QueryRowContext(ctx, s.q(`SELECT doc FROM approval_process_versions WHERE process_id = ? AND version = ?`), processID, version).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.New(errs.NotFound, "store.approval_process_not_found", "key", processID)
	}
	return json.RawMessage(doc), err
}

// ---- instances ----

const instanceCols = `id, app, module, record_id, title, process_id, process_key, process_version, status, step, round,
	submitter_id, source, flow_key, transition_key, values_doc, lock_record, error, last_remind_at, version, started_at, finished_at`

func scanInstance(r scanner) (*ApprovalInstance, error) {
	var i ApprovalInstance
	dest, finish := instanceDest(&i)
	if err := r.Scan(dest...); err != nil {
		return nil, err
	}
	finish()
	return &i, nil
}

// instanceDest are the scan destinations of instanceCols into i, and what
// turns them into i's fields after the scan.
func instanceDest(i *ApprovalInstance) ([]any, func()) {
	var submitter, values sql.NullString
	var remind, started, finished any
	dest := []any{&i.ID, &i.App, &i.Module, &i.RecordID, &i.Title, &i.ProcessID, &i.ProcessKey, &i.ProcessVersion, &i.Status,
		&i.Step, &i.Round, &submitter, &i.Source, &i.FlowKey, &i.TransitionKey, &values, &i.Lock, &i.Error, &remind, &i.Version,
		&started, &finished}
	return dest, func() {
		i.SubmitterID = submitter.String
		if values.Valid {
			i.Values = json.RawMessage(values.String)
		}
		i.LastRemindAt, i.StartedAt, i.FinishedAt = DecodeTime(remind), DecodeTime(started), DecodeTime(finished)
	}
}

// InsertApprovalInstance inserts a new instance in tx; a second pending
// instance on one record is a conflict.
func (s *Store) InsertApprovalInstance(ctx context.Context, tx *Tx, i *ApprovalInstance) error {
	if i.ID == "" {
		i.ID = NewID()
	}
	i.Version, i.StartedAt = 1, tx.Now
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO approval_instances (`+instanceCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		i.ID, i.App, i.Module, i.RecordID, i.Title, i.ProcessID, i.ProcessKey, i.ProcessVersion, i.Status, i.Step, i.Round,
		nullableID(i.SubmitterID), i.Source, i.FlowKey, i.TransitionKey, jsonOrNil(i.Values), i.Lock, i.Error,
		timeOrNil(s.D, i.LastRemindAt), i.Version, TimeArg(s.D, i.StartedAt), timeOrNil(s.D, i.FinishedAt))
	if _, dup := s.D.UniqueViolation(err); dup {
		return errs.New(errs.Conflict, "store.approval_pending_exists")
	}
	return err
}

// LockApprovalInstance reads an instance inside tx for a change: on
// PostgreSQL the row stays locked until tx ends, so two decisions on one
// instance are made one after the other (SQLite's single writer does that
// anyway).
func (s *Store) LockApprovalInstance(ctx context.Context, tx *Tx, id string) (*ApprovalInstance, error) {
	if s.D.Name() == "postgres" && !validID(id) {
		return nil, errs.New(errs.NotFound, "store.approval_not_found", "id", id)
	}
	lock := ""
	if s.D.Name() == "postgres" {
		lock = " FOR UPDATE"
	}
	i, err := scanInstance(tx.QueryRowContext(ctx, s.q(`SELECT `+instanceCols+` FROM approval_instances WHERE id = ?`+lock), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.New(errs.NotFound, "store.approval_not_found", "id", id)
	}
	return i, err
}

// ApprovalInstance reads an instance (tx nil: outside a transaction).
func (s *Store) ApprovalInstance(ctx context.Context, tx *Tx, id string) (*ApprovalInstance, error) {
	if s.D.Name() == "postgres" && !validID(id) {
		return nil, errs.New(errs.NotFound, "store.approval_not_found", "id", id)
	}
	i, err := scanInstance(s.reader(tx).QueryRowContext(ctx, s.q(`SELECT `+instanceCols+` FROM approval_instances WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.New(errs.NotFound, "store.approval_not_found", "id", id)
	}
	return i, err
}

// UpdateApprovalInstance writes an instance's state if its version is still
// i.Version, and bumps it; otherwise the instance changed meanwhile (a
// conflict).
func (s *Store) UpdateApprovalInstance(ctx context.Context, tx *Tx, i *ApprovalInstance) error {
	res, err := tx.ExecContext(ctx, s.q(`UPDATE approval_instances SET title = ?, status = ?, step = ?, round = ?, error = ?,
			last_remind_at = ?, finished_at = ?, version = version + 1
		WHERE id = ? AND version = ?`),
		i.Title, i.Status, i.Step, i.Round, i.Error, timeOrNil(s.D, i.LastRemindAt), timeOrNil(s.D, i.FinishedAt), i.ID, i.Version)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.New(errs.Conflict, "store.approval_changed")
	}
	i.Version++
	return nil
}

// ApprovalInstancesOfRecord lists a record's instances, newest first.
func (s *Store) ApprovalInstancesOfRecord(ctx context.Context, app, module, recordID string) ([]*ApprovalInstance, error) {
	if s.D.Name() == "postgres" && !validID(recordID) {
		return []*ApprovalInstance{}, nil
	}
	return s.instances(ctx, nil, `app = ? AND module = ? AND record_id = ? ORDER BY started_at DESC, id DESC`, app, module, recordID)
}

// PendingApproval returns the pending instance of a record, or nil.
func (s *Store) PendingApproval(ctx context.Context, tx *Tx, recordID string) (*ApprovalInstance, error) {
	if s.D.Name() == "postgres" && !validID(recordID) {
		return nil, nil
	}
	is, err := s.instances(ctx, tx, `record_id = ? AND status = 'pending'`, recordID)
	if err != nil || len(is) == 0 {
		return nil, err
	}
	return is[0], nil
}

func (s *Store) instances(ctx context.Context, tx *Tx, where string, args ...any) ([]*ApprovalInstance, error) {
	return queryAll(ctx, s.reader(tx), s.q(`SELECT `+instanceCols+` FROM approval_instances WHERE `+where), args, scanInstance)
}

// ---- tasks ----

const taskCols = `t.id, t.instance_id, t.step, t.step_key, t.round, t.kind, t.assignee_id, t.status, t.parent_id, t.after_id,
	t.reason, t.due_at, t.timed_out, t.created_at, t.acted_at`

func scanTask(r scanner, extra ...any) (*ApprovalTask, error) {
	var t ApprovalTask
	var parent, after sql.NullString
	var due, created, acted any
	dest := append([]any{&t.ID, &t.InstanceID, &t.Step, &t.StepKey, &t.Round, &t.Kind, &t.AssigneeID, &t.Status, &parent, &after,
		&t.Reason, &due, &t.TimedOut, &created, &acted}, extra...)
	if err := r.Scan(dest...); err != nil {
		return nil, err
	}
	t.ParentID, t.AfterID = parent.String, after.String
	t.DueAt, t.CreatedAt, t.ActedAt = DecodeTime(due), DecodeTime(created), DecodeTime(acted)
	return &t, nil
}

// InsertApprovalTask inserts a task in tx.
func (s *Store) InsertApprovalTask(ctx context.Context, tx *Tx, t *ApprovalTask) error {
	if t.ID == "" {
		t.ID = NewID()
	}
	t.CreatedAt = tx.Now
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO approval_tasks (id, instance_id, step, step_key, round, kind, assignee_id, status,
			parent_id, after_id, reason, due_at, timed_out, created_at, acted_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		t.ID, t.InstanceID, t.Step, t.StepKey, t.Round, t.Kind, t.AssigneeID, t.Status, nullableID(t.ParentID), nullableID(t.AfterID),
		t.Reason, timeOrNil(s.D, t.DueAt), t.TimedOut, TimeArg(s.D, t.CreatedAt), timeOrNil(s.D, t.ActedAt))
	return err
}

// UpdateApprovalTask writes a task's mutable state in tx.
func (s *Store) UpdateApprovalTask(ctx context.Context, tx *Tx, t *ApprovalTask) error {
	_, err := tx.ExecContext(ctx, s.q(`UPDATE approval_tasks SET assignee_id = ?, status = ?, parent_id = ?, after_id = ?, reason = ?,
			due_at = ?, timed_out = ?, acted_at = ? WHERE id = ?`),
		t.AssigneeID, t.Status, nullableID(t.ParentID), nullableID(t.AfterID), t.Reason, timeOrNil(s.D, t.DueAt), t.TimedOut,
		timeOrNil(s.D, t.ActedAt), t.ID)
	return err
}

// ApprovalTasks lists an instance's tasks in the order they were made.
func (s *Store) ApprovalTasks(ctx context.Context, tx *Tx, instanceID string) ([]*ApprovalTask, error) {
	return queryAll(ctx, s.reader(tx), s.q(`SELECT `+taskCols+` FROM approval_tasks t WHERE t.instance_id = ? ORDER BY t.created_at, t.id`),
		[]any{instanceID}, func(r scanner) (*ApprovalTask, error) { return scanTask(r) })
}

// ---- decisions ----

// InsertApprovalDecision appends to an instance's history in tx.
func (s *Store) InsertApprovalDecision(ctx context.Context, tx *Tx, d *ApprovalDecision) error {
	d.ID, d.At = NewID(), tx.Now
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO approval_decisions (id, instance_id, task_id, step_key, actor_id, action, comment, changes, detail, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		d.ID, d.InstanceID, nullableID(d.TaskID), d.StepKey, nullableID(d.ActorID), d.Action, d.Comment, jsonOrNil(d.Changes),
		jsonOrNil(d.Detail), TimeArg(s.D, d.At))
	return err
}

const decisionCols = `d.id, d.instance_id, d.task_id, d.step_key, d.actor_id, d.action, d.comment, d.changes, d.detail, d.at`

func scanDecision(r scanner, extra ...any) (*ApprovalDecision, error) {
	var d ApprovalDecision
	var task, actor, changes, detail sql.NullString
	var at any
	if err := r.Scan(append([]any{&d.ID, &d.InstanceID, &task, &d.StepKey, &actor, &d.Action, &d.Comment, &changes, &detail, &at}, extra...)...); err != nil {
		return nil, err
	}
	d.TaskID, d.ActorID, d.At = task.String, actor.String, DecodeTime(at)
	if changes.Valid {
		d.Changes = json.RawMessage(changes.String)
	}
	if detail.Valid {
		d.Detail = json.RawMessage(detail.String)
	}
	return &d, nil
}

// ApprovalDecisions lists an instance's history, oldest first.
func (s *Store) ApprovalDecisions(ctx context.Context, tx *Tx, instanceID string) ([]*ApprovalDecision, error) {
	return queryAll(ctx, s.reader(tx), s.q(`SELECT `+decisionCols+` FROM approval_decisions d WHERE d.instance_id = ? ORDER BY d.at, d.id`),
		[]any{instanceID}, func(r scanner) (*ApprovalDecision, error) { return scanDecision(r) })
}

// ---- inbox ----

// InboxItem is one row of a user's approval inbox.
type InboxItem struct {
	Instance *ApprovalInstance
	Task     *ApprovalTask     // pending and done boxes
	Decision *ApprovalDecision // done box: the caller's decision
}

// inboxCursor is a keyset position: a time and an id.
func inboxCursor(at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(at.UTC().Format(time.RFC3339Nano) + "|" + id))
}

func parseInboxCursor(c string) (time.Time, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil {
		if at, id, ok := strings.Cut(string(b), "|"); ok {
			if t, err := time.Parse(time.RFC3339Nano, at); err == nil && (validID(id) || id == "") {
				return t, id, nil
			}
		}
	}
	return time.Time{}, "", errs.New(errs.Invalid, "store.bad_cursor")
}

// PendingInbox returns a user's pending tasks, oldest first, with their
// instances: one index range on (assignee_id, status, created_at, id).
func (s *Store) PendingInbox(ctx context.Context, userID, cursor string, limit int) ([]InboxItem, string, error) {
	q := `SELECT ` + taskCols + `, ` + prefixed("i.", instanceCols) + ` FROM approval_tasks t JOIN approval_instances i ON i.id = t.instance_id
		WHERE t.assignee_id = ? AND t.status = 'pending'`
	return s.inboxPage(ctx, q, []any{userID}, "t.created_at", "t.id", false, cursor, limit, func(r scanner) (InboxItem, time.Time, string, error) {
		var i ApprovalInstance
		dest, finish := instanceDest(&i)
		t, err := scanTask(r, dest...)
		if err != nil {
			return InboxItem{}, time.Time{}, "", err
		}
		finish()
		return InboxItem{Instance: &i, Task: t}, t.CreatedAt, t.ID, nil
	})
}

// SubmittedInbox returns the instances a user submitted, newest first.
func (s *Store) SubmittedInbox(ctx context.Context, userID, cursor string, limit int) ([]InboxItem, string, error) {
	q := `SELECT ` + instanceCols + ` FROM approval_instances WHERE submitter_id = ?`
	return s.inboxPage(ctx, q, []any{nullableID(userID)}, "started_at", "id", true, cursor, limit, func(r scanner) (InboxItem, time.Time, string, error) {
		i, err := scanInstance(r)
		if err != nil {
			return InboxItem{}, time.Time{}, "", err
		}
		return InboxItem{Instance: i}, i.StartedAt, i.ID, nil
	})
}

// DoneInbox returns the decisions a user made on tasks (approve, reject,
// return, transfer, add approver), newest first, with their instances.
func (s *Store) DoneInbox(ctx context.Context, userID, cursor string, limit int) ([]InboxItem, string, error) {
	q := `SELECT ` + decisionCols + `, ` + prefixed("i.", instanceCols) + ` FROM approval_decisions d JOIN approval_instances i ON i.id = d.instance_id
		WHERE d.actor_id = ? AND d.action IN ('approve', 'reject', 'return', 'transfer', 'add_approver')`
	return s.inboxPage(ctx, q, []any{nullableID(userID)}, "d.at", "d.id", true, cursor, limit, func(r scanner) (InboxItem, time.Time, string, error) {
		var i ApprovalInstance
		dest, finish := instanceDest(&i)
		d, err := scanDecision(r, dest...)
		if err != nil {
			return InboxItem{}, time.Time{}, "", err
		}
		finish()
		return InboxItem{Instance: &i, Decision: d}, d.At, d.ID, nil
	})
}

// inboxPage runs one page of an inbox query in keyset order (at, id),
// ascending or descending, after cursor; row scans a row and returns its
// keys.
func (s *Store) inboxPage(ctx context.Context, q string, args []any, at, id string, desc bool, cursor string, limit int,
	row func(scanner) (InboxItem, time.Time, string, error)) ([]InboxItem, string, error) {
	cmp, dir := ">", ""
	if desc {
		cmp, dir = "<", " DESC"
	}
	if cursor != "" {
		t, cid, err := parseInboxCursor(cursor)
		if err != nil {
			return nil, "", err
		}
		q += fmt.Sprintf(` AND (%s %s ? OR (%s = ? AND %s %s ?))`, at, cmp, at, id, cmp)
		args = append(args, TimeArg(s.D, t), TimeArg(s.D, t), cid)
	}
	q += fmt.Sprintf(` ORDER BY %s%s, %s%s LIMIT %d`, at, dir, id, dir, limit+1)
	rows, err := s.rd(ctx).QueryContext(ctx, s.q(q), args...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var out []InboxItem
	var lastAt time.Time
	var lastID string
	for rows.Next() {
		if len(out) == limit { // the extra row only says there is more
			return out, inboxCursor(lastAt, lastID), nil
		}
		it, t, id, err := row(rows)
		if err != nil {
			return nil, "", err
		}
		out, lastAt, lastID = append(out, it), t, id
	}
	return out, "", rows.Err()
}

// ---- stats and people ----

// ApprovalTasksOfProcess lists the tasks of a process's instances created
// in [from, to), for statistics.
func (s *Store) ApprovalTasksOfProcess(ctx context.Context, processID string, from, to time.Time) ([]*ApprovalTask, error) {
	return queryAll(ctx, s.rd(ctx), s.q(`SELECT `+taskCols+` FROM approval_tasks t JOIN approval_instances i ON i.id = t.instance_id
		WHERE i.process_id = ? AND t.created_at >= ? AND t.created_at < ? ORDER BY t.created_at, t.id`),
		[]any{processID, TimeArg(s.D, from), TimeArg(s.D, to)}, func(r scanner) (*ApprovalTask, error) { return scanTask(r) })
}

// RoleMemberIDs lists the active users holding role key, by id.
func (s *Store) RoleMemberIDs(ctx context.Context, key string) ([]string, error) {
	return s.ids(ctx, `SELECT u.id FROM users u JOIN user_roles ur ON ur.user_id = u.id JOIN roles r ON r.id = ur.role_id
		WHERE r.key = ? AND u.disabled = ? ORDER BY u.id`, key, false)
}

// AdminIDs lists the active administrators, by id.
func (s *Store) AdminIDs(ctx context.Context) ([]string, error) {
	return s.ids(ctx, `SELECT id FROM users WHERE is_admin = ? AND disabled = ? ORDER BY id`, true, false)
}

func (s *Store) ids(ctx context.Context, q string, args ...any) ([]string, error) {
	return queryAll(ctx, s.rd(ctx), s.q(q), args, func(r scanner) (string, error) {
		var id string
		err := r.Scan(&id)
		return id, err
	})
}

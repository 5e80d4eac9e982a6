// The approval panel of a record page (and of an inbox item): like 钉钉, a
// vertical timeline — the submitter, then each step with its approvers
// (或签 / 会签, status, time, comment), the current step with its due time
// (overdue in red); actions for the current approver (同意, 拒绝, 退回,
// 转交, 加签) and for the submitter (撤回, 催办), each with a comment.
import { Alert, App, Button, Card, Empty, Form, Input, Modal, Radio, Select, Skeleton, Space, Tag, Timeline, Typography } from 'antd';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { RecordData } from '../../api/records';
import { approvals, type ApprovalAction, type ApprovalInstance } from '../../api/work';
import { useRender } from '../../render/context';
import { formatDateTime, relative } from '../../render/format';
import { PersonValue } from '../../render/Value';
import { FieldWidget } from '../../render/widgets';
import { pick, type Field, type ModuleDef } from '../../render/schema';
import { useSession } from '../session';
import { ErrorState, errorText } from '../shell/States';
import { dueState, mayWithdraw, myTask, returnTargets, steps, type StepStatus } from './model';

const stepColor: Record<StepStatus, string> = { approved: 'green', rejected: 'red', returned: 'orange', current: 'blue', waiting: 'gray', skipped: 'gray' };
const statusColor: Record<string, string> = { pending: 'processing', approved: 'success', rejected: 'error', withdrawn: 'default' };

const userField: Field = { key: 'user', type: 'user', label: {}, required: true, readOnly: false, options: [], schema: {} };

/** invalidateApproval refreshes what an approval decision changes. */
export function useApprovalRefresh() {
  const qc = useQueryClient();
  return (inst: ApprovalInstance) => {
    qc.invalidateQueries({ queryKey: ['approvals'] });
    qc.invalidateQueries({ queryKey: ['inbox'] });
    if (inst.app && inst.module && inst.record_id) {
      qc.invalidateQueries({ queryKey: ['record', inst.app, inst.module, inst.record_id] });
      qc.invalidateQueries({ queryKey: ['timeline', inst.app, inst.module, inst.record_id] });
    }
  };
}

/** RecordApprovals is the panel on a record page: its latest (or chosen) instance, or the submit button. */
export function RecordApprovals({ def, rec, focus }: { def: ModuleDef; rec: RecordData; focus?: string }) {
  const { t } = useTranslation();
  const q = useQuery({ queryKey: ['approvals', 'record', def.app, def.key, rec.id], queryFn: () => approvals.ofRecord(def.app, def.key, rec.id) });
  const procs = useQuery({ queryKey: ['approval-processes', def.app], queryFn: () => approvals.processes(def.app), staleTime: 60_000 });
  const mine = (procs.data ?? []).filter((p) => p.module === def.key);
  if (q.isLoading) return <Card size="small"><Skeleton active /></Card>;
  if (q.error) return <ErrorState error={q.error} retry={() => q.refetch()} />;
  const list = [...(q.data ?? [])].sort((a, b) => String(b.started_at).localeCompare(String(a.started_at)));
  if (!list.length && !mine.length) return null;
  const shown = list.find((i) => i.id === focus) ?? list.find((i) => i.status === 'pending') ?? list[0];
  const pending = list.some((i) => i.status === 'pending');
  return (
    <Card size="small" title={<h2 style={{ fontSize: 14, margin: 0 }}>{t('approval.title')}</h2>}
      extra={!pending && mine.length > 0 && !rec.deleted_at && <SubmitButton def={def} rec={rec} processes={mine.map((p) => ({ key: p.key, label: p.label as Record<string, string> }))} />}>
      {shown ? <ApprovalView inst={shown} /> : <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('approval.none')} />}
      {list.length > 1 && (
        <Typography.Text type="secondary" style={{ display: 'block', marginTop: 8 }}>{t('approval.earlier', { n: list.length - 1 })}</Typography.Text>
      )}
    </Card>
  );
}

function SubmitButton({ def, rec, processes }: { def: ModuleDef; rec: RecordData; processes: { key: string; label: Record<string, string> }[] }) {
  const { t } = useTranslation();
  const { locale } = useSession();
  const { message } = App.useApp();
  const refresh = useApprovalRefresh();
  const [open, setOpen] = useState(false);
  const [proc, setProc] = useState(processes.length === 1 ? processes[0].key : undefined);
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<string>();
  return (
    <>
      <Button type="primary" size="small" onClick={() => setOpen(true)}>{t('approval.submit')}</Button>
      {open && (
        <Modal open title={t('approval.submitTitle')} okText={t('approval.submit')} cancelText={t('common.cancel')} okButtonProps={{ loading: busy }}
          onCancel={() => setOpen(false)}
          onOk={async () => {
            setBusy(true);
            setErr(undefined);
            try {
              const inst = await approvals.submit(def.app, def.key, rec.id, { process: proc, comment: comment || undefined });
              message.success(t('approval.submitted'));
              refresh({ ...inst, app: def.app, module: def.key, record_id: rec.id });
              setOpen(false);
            } catch (e) {
              setErr(errorText(e, t));
            } finally {
              setBusy(false);
            }
          }}>
          <Form layout="vertical" component="div">
            {processes.length > 1 && (
              <Form.Item label={t('approval.process')} htmlFor="approval-process">
                <Select id="approval-process" value={proc} onChange={setProc} allowClear
                  options={processes.map((p) => ({ value: p.key, label: pick(p.label, locale) || p.key }))} />
              </Form.Item>
            )}
            <Form.Item label={t('approval.comment')} htmlFor="approval-submit-comment">
              <Input.TextArea id="approval-submit-comment" placeholder={t('approval.commentHint')} value={comment} onChange={(e) => setComment(e.target.value)} autoSize={{ minRows: 2 }} />
            </Form.Item>
          </Form>
          {err && <Alert type="error" role="alert" title={err} />}
        </Modal>
      )}
    </>
  );
}

/** ApprovalView is one instance: the steps as a timeline and the actions the user may take. */
export function ApprovalView({ inst }: { inst: ApprovalInstance }) {
  const { t } = useTranslation();
  const svc = useRender();
  const { user, locale } = useSession();
  const now = new Date();
  const view = steps(inst);
  const mine = myTask(inst, user?.id);
  const items = [
    {
      key: 'submitter',
      color: 'green',
      children: (
        <div>
          <Typography.Text strong>{t('approval.submitter')}</Typography.Text>{' '}
          {inst.submitter ? <PersonValue id={inst.submitter} /> : t('history.system')}
          {inst.started_at && <div><Typography.Text type="secondary">{formatDateTime(svc.format, inst.started_at)}</Typography.Text></div>}
        </div>
      ),
    },
    ...view.map((s) => {
      const ds = s.status === 'current' ? dueState(s.due, now) : undefined;
      return {
        key: s.key,
        color: stepColor[s.status],
        children: (
          <div className={s.status === 'current' ? 't-step-current' : undefined}>
            <Space size={4} wrap>
              <Typography.Text strong>{pick(s.label, locale) || s.key}</Typography.Text>
              {s.mode && <Tag>{s.mode === 'all' ? t('approval.all') : t('approval.any')}</Tag>}
              <Tag color={stepColor[s.status]}>{t(`approval.step.${s.status}`)}</Tag>
            </Space>
            {s.due && s.status === 'current' && (
              <div className={ds === 'overdue' ? 't-overdue' : undefined}>
                {ds === 'overdue' ? t('approval.overdue', { at: formatDateTime(svc.format, s.due) }) : t('approval.due', { at: formatDateTime(svc.format, s.due) })}
              </div>
            )}
            <ul style={{ margin: '4px 0 0', paddingInlineStart: 18 }}>
              {s.tasks.map((tk) => (
                <li key={tk.id}>
                  {tk.assignee ? <PersonValue id={tk.assignee} /> : '—'}{' '}
                  <Typography.Text type="secondary">{t(`approval.task.${tk.status ?? 'pending'}`)}{tk.acted_at ? ` · ${relative(svc.format, tk.acted_at)}` : ''}</Typography.Text>
                  {tk.reason && <Typography.Text type="secondary"> · {tk.reason}</Typography.Text>}
                </li>
              ))}
            </ul>
            {s.decisions.filter((d) => d.comment || d.reason).map((d) => (
              <div key={d.id} className="t-wrap" style={{ fontSize: 13 }}>
                {d.actor ? <PersonValue id={d.actor} /> : t('history.system')} {t('approval.done', { action: t(`approval.actions.${d.action}`, { defaultValue: d.action }) })}
                {d.comment && <>：<Typography.Text>{d.comment}</Typography.Text></>}
                {d.reason && <Typography.Text type="secondary"> ({d.reason})</Typography.Text>}
              </div>
            ))}
          </div>
        ),
      };
    }),
  ];
  return (
    <div>
      <Space size={4} wrap style={{ marginBottom: 12 }}>
        <Typography.Text strong>{pick(inst.label as Record<string, string>, locale) || inst.process}</Typography.Text>
        {inst.status && <Tag color={statusColor[inst.status]}>{t(`approval.status.${inst.status}`)}</Tag>}
      </Space>
      {inst.error && <Alert type="error" title={inst.error} style={{ marginBottom: 8 }} />}
      <Timeline items={items} />
      <ActBar inst={inst} task={mine?.id} resubmit={mine?.kind === 'resubmit'} withdraw={mayWithdraw(inst, user?.id)} />
    </div>
  );
}

type Act = ApprovalAction | 'withdraw' | 'remind';

function ActBar({ inst, task, resubmit, withdraw }: { inst: ApprovalInstance; task?: string; resubmit: boolean; withdraw: boolean }) {
  const { t } = useTranslation();
  const [act, setAct] = useState<Act>();
  if (!task && !withdraw) return null;
  const buttons: { a: Act; label: string; primary?: boolean; danger?: boolean }[] = [];
  if (task && resubmit) buttons.push({ a: 'approve', label: t('approval.resubmit'), primary: true });
  if (task && !resubmit) {
    buttons.push({ a: 'approve', label: t('approval.approve'), primary: true }, { a: 'reject', label: t('approval.reject'), danger: true },
      { a: 'return', label: t('approval.return') }, { a: 'transfer', label: t('approval.transfer') }, { a: 'add-approver', label: t('approval.addApprover') });
  }
  if (withdraw) buttons.push({ a: 'withdraw', label: t('approval.withdraw') }, { a: 'remind', label: t('approval.remind') });
  return (
    <>
      <Space wrap>
        {buttons.map((b) => (
          <Button key={b.a} type={b.primary ? 'primary' : 'default'} danger={b.danger} onClick={() => setAct(b.a)}>{b.label}</Button>
        ))}
      </Space>
      {act && <ActDialog inst={inst} task={task} act={act} label={buttons.find((b) => b.a === act)?.label ?? act} onClose={() => setAct(undefined)} />}
    </>
  );
}

function ActDialog({ inst, task, act, label, onClose }: { inst: ApprovalInstance; task?: string; act: Act; label: string; onClose: () => void }) {
  const { t } = useTranslation();
  const { locale } = useSession();
  const { message } = App.useApp();
  const refresh = useApprovalRefresh();
  const [comment, setComment] = useState('');
  const [toStep, setToStep] = useState('submitter');
  const [user, setUser] = useState<string>();
  const [position, setPosition] = useState<'before' | 'after'>('after');
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<string>();
  const needsUser = act === 'transfer' || act === 'add-approver';
  async function ok() {
    setBusy(true);
    setErr(undefined);
    try {
      const c = comment.trim() || undefined;
      const out = act === 'withdraw' ? await approvals.withdraw(inst.id ?? '', c)
        : act === 'remind' ? await approvals.remind(inst.id ?? '', c)
        : await approvals.act(inst.id ?? '', task ?? '', act, {
          comment: c,
          ...(act === 'return' ? { to_step: toStep } : {}),
          ...(needsUser ? { user } : {}),
          ...(act === 'add-approver' ? { position } : {}),
        });
      message.success(`${label} ✓`);
      refresh({ ...inst, ...out });
      onClose();
    } catch (e) {
      setErr(errorText(e, t));
    } finally {
      setBusy(false);
    }
  }
  return (
    <Modal open title={label} okText={label} cancelText={t('common.cancel')} onCancel={onClose} onOk={ok}
      okButtonProps={{ loading: busy, danger: act === 'reject', disabled: needsUser && !user }}>
      <Form layout="vertical" component="div">
        {act === 'return' && (
          <Form.Item label={t('approval.toStep')} htmlFor="approval-to-step">
            <Select id="approval-to-step" value={toStep} onChange={setToStep}
              options={returnTargets(inst).map((s) => ({ value: s.key, label: s.key === 'submitter' ? t('approval.toSubmitter') : pick(s.label, locale) || s.key }))} />
          </Form.Item>
        )}
        {needsUser && (
          <Form.Item label={t('approval.user')} htmlFor="approval-user" required>
            <FieldWidget field={userField} id="approval-user" value={user} onChange={(v) => setUser(v as string | undefined)} />
          </Form.Item>
        )}
        {act === 'add-approver' && (
          <Form.Item label={t('approval.position')}>
            <Radio.Group value={position} onChange={(e) => setPosition(e.target.value)}
              options={[{ value: 'before', label: t('approval.before') }, { value: 'after', label: t('approval.after') }]} />
          </Form.Item>
        )}
        <Form.Item label={t('approval.comment')} htmlFor="approval-comment">
          <Input.TextArea id="approval-comment" placeholder={t('approval.commentHint')} value={comment} onChange={(e) => setComment(e.target.value)} autoSize={{ minRows: 2 }} />
        </Form.Item>
      </Form>
      {err && <Alert type="error" role="alert" title={err} />}
    </Modal>
  );
}

// /app/approvals — the approval inbox across apps: 待我审批 / 我发起的 /
// 已处理 (?box=), each item with its step, submitter and due time (overdue
// in red); pending items can be selected and approved together. An item
// opens its record with the approval panel on that instance. Cards, not a
// table, so it works the same at 375 px.
import { Alert, App, Button, Card, Checkbox, Empty, Skeleton, Space, Tabs, Tag, Typography } from 'antd';
import { useInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { approvals, type Box, type InboxItem } from '../../api/work';
import { formatDateTime, relative } from '../../render/format';
import { PersonValue } from '../../render/Value';
import { pick } from '../../render/schema';
import { useSession } from '../session';
import { ErrorState, errorText } from '../shell/States';
import { dueState, inboxHref } from './model';

const boxes: Box[] = ['pending', 'submitted', 'done'];


export function InboxPage() {
  const { t } = useTranslation();
  const [params, setParams] = useSearchParams();
  const box = (boxes.includes(params.get('box') as Box) ? params.get('box') : 'pending') as Box;
  return (
    <div className="t-page">
      <div className="t-page-head"><Typography.Title level={1}>{t('inbox.title')}</Typography.Title></div>
      <Tabs activeKey={box} onChange={(k) => setParams(k === 'pending' ? {} : { box: k }, { replace: true })}
        items={boxes.map((b) => ({ key: b, label: t(`inbox.${b}`), children: b === box ? <InboxList box={b} /> : null }))} />
    </div>
  );
}

function InboxList({ box }: { box: Box }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const qc = useQueryClient();
  const q = useInfiniteQuery({
    queryKey: ['inbox', box],
    initialPageParam: '',
    queryFn: ({ pageParam }) => approvals.inbox(box, pageParam || undefined),
    getNextPageParam: (p) => p.next_cursor || undefined,
  });
  const items = useMemo(() => q.data?.pages.flatMap((p) => p.items ?? []) ?? [], [q.data]);
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [busy, setBusy] = useState(false);
  const [failed, setFailed] = useState<string[]>([]);
  // Only approval tasks can be approved in a batch (a returned submission needs its editor).
  const batchable = items.filter((i) => box === 'pending' && i.task && i.kind !== 'resubmit');

  async function batchApprove() {
    setBusy(true);
    setFailed([]);
    const chosen = batchable.filter((i) => picked.has(i.task!));
    const errs: string[] = [];
    let ok = 0;
    for (const i of chosen) {
      try {
        await approvals.act(i.instance ?? '', i.task ?? '', 'approve', {});
        ok++;
      } catch (e) {
        errs.push(`${i.title ?? i.record}: ${errorText(e, t)}`);
      }
    }
    setBusy(false);
    setPicked(new Set());
    setFailed(errs);
    (errs.length ? message.warning : message.success)(t('inbox.batchDone', { ok, failed: errs.length }));
    qc.invalidateQueries({ queryKey: ['inbox'] });
    qc.invalidateQueries({ queryKey: ['approvals'] });
  }

  if (q.isLoading) return <Skeleton active />;
  if (q.error) return <ErrorState error={q.error} retry={() => q.refetch()} />;
  if (!items.length) return <Empty description={box === 'pending' ? t('inbox.emptyPending') : t('inbox.empty')} />;
  const all = batchable.length > 0 && batchable.every((i) => picked.has(i.task!));
  return (
    <>
      {batchable.length > 0 && (
        <div className="t-toolbar">
          <Checkbox checked={all} indeterminate={!all && picked.size > 0}
            onChange={(e) => setPicked(e.target.checked ? new Set(batchable.map((i) => i.task!)) : new Set())}>{t('inbox.select')}</Checkbox>
          <Button type="primary" disabled={!picked.size} loading={busy} onClick={batchApprove}>{t('inbox.batchApprove', { count: picked.size })}</Button>
        </div>
      )}
      {failed.length > 0 && <Alert type="error" role="alert" style={{ marginBottom: 12 }} title={failed.join('\n')} className="t-pre" />}
      <div role="list">
        {items.map((i) => (
          <InboxCard key={`${i.instance}:${i.task ?? ''}:${i.at ?? ''}`} item={i} box={box}
            picked={!!i.task && picked.has(i.task)} selectable={batchable.includes(i)}
            onPick={(on) => setPicked((s) => { const n = new Set(s); if (on) n.add(i.task!); else n.delete(i.task!); return n; })} />
        ))}
      </div>
      {q.hasNextPage && <Button onClick={() => q.fetchNextPage()} loading={q.isFetchingNextPage}>{t('common.loadMore')}</Button>}
    </>
  );
}

function InboxCard({ item: i, box, picked, selectable, onPick }: { item: InboxItem; box: Box; picked: boolean; selectable: boolean; onPick: (on: boolean) => void }) {
  const { t } = useTranslation();
  const { locale, timeZone } = useSession();
  const fmt = { locale, timeZone, currency: 'CNY' };
  const ds = box !== 'done' ? (i.overdue ? 'overdue' : dueState(i.due_at, new Date())) : undefined;
  const title = i.title || i.record || '';
  return (
    <Card size="small" role="listitem" style={{ marginBottom: 8 }} className="t-inbox-item">
      <div style={{ display: 'flex', gap: 8, alignItems: 'flex-start' }}>
        {selectable && <Checkbox checked={picked} onChange={(e) => onPick(e.target.checked)} aria-label={`${t('inbox.select')} ${title}`} />}
        <div className="t-grow">
          <Space size={4} wrap>
            <Link to={inboxHref(i)} className="t-title-link t-wrap">{title}</Link>
            <Tag>{pick(i.label as Record<string, string>, locale) || i.process}</Tag>
            {box !== 'pending' && i.status && <Tag>{t(`approval.status.${i.status}`, { defaultValue: i.status })}</Tag>}
          </Space>
          <div style={{ fontSize: 13, marginTop: 4 }}>
            {(i.step_label || i.step) && <span>{t('inbox.step')}: {pick(i.step_label as Record<string, string>, locale) || i.step} · </span>}
            {i.submitter && <span>{t('inbox.submitter')}: <PersonValue id={i.submitter} /> · </span>}
            {i.started_at && <Typography.Text type="secondary" title={formatDateTime(fmt, i.started_at)}>{t('inbox.started', { at: relative(fmt, i.started_at) })}</Typography.Text>}
          </div>
          {i.due_at && ds && (
            <div className={ds === 'overdue' ? 't-overdue' : undefined} style={{ fontSize: 13 }}>
              {ds === 'overdue' ? t('approval.overdue', { at: formatDateTime(fmt, i.due_at) }) : t('approval.due', { at: formatDateTime(fmt, i.due_at) })}
            </div>
          )}
          {box === 'done' && i.action && (
            <div style={{ fontSize: 13 }}>{t('inbox.decision')}: {t(`approval.actions.${i.action}`, { defaultValue: i.action })}{i.at ? ` · ${relative(fmt, i.at)}` : ''}</div>
          )}
        </div>
      </div>
    </Card>
  );
}

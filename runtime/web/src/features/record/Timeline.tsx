// The 动态 tab: the record's timeline (GET …/timeline) — history diffs,
// stage moves, approvals, merges and the activities that look it up,
// newest first — and the quick follow-up box (shown beside the tabs) that
// writes an activity.
import { App, Button, Card, Empty, Input, Select, Skeleton, Space, Tag, Timeline as AntTimeline, Typography } from 'antd';
import { useInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { records, type RecordData } from '../../api/records';
import { ApiError } from '../../api/http';
import { related, type ApprovalInstance, type Flow, type TimelineEntry } from '../../api/work';
import { useRender } from '../../render/context';
import { formatDateTime, relative } from '../../render/format';
import { PersonValue } from '../../render/Value';
import { fieldLabel, optionLabel, parseFields, pick, type Field, type ModuleDef } from '../../render/schema';
import { titleOf } from '../data';
import { ErrorState, errorText } from '../shell/States';
import { HistoryEntryView } from './History';
import { followUpValues, inheritedLookups, quickChoices, type ActivityModule } from './relations';
import type { HistoryEntry } from '../../api/client';

function When({ at }: { at: string }) {
  const svc = useRender();
  return <Typography.Text type="secondary" title={formatDateTime(svc.format, at)}>{relative(svc.format, at)}</Typography.Text>;
}

function stateLabel(flows: Flow[], flow: string | undefined, key: string | undefined, locale: string): string {
  const f = flows.find((x) => x.key === flow);
  const s = f?.states?.find((x) => x.key === key);
  return pick(s?.label as Record<string, string>, locale) || key || '—';
}

export function RecordTimeline({ def, rec, fields, flows, mods }: {
  def: ModuleDef; rec: RecordData; fields: Field[]; flows: Flow[]; mods: ModuleDef[];
}) {
  const { t } = useTranslation();
  const svc = useRender();
  const locale = svc.format.locale;
  const q = useInfiniteQuery({
    queryKey: ['timeline', def.app, def.key, rec.id, rec.version],
    initialPageParam: '',
    queryFn: ({ pageParam }) => related.timeline(def.app, def.key, rec.id, pageParam || undefined),
    getNextPageParam: (p) => p.next_cursor || undefined,
  });
  const byKey = useMemo(() => new Map(fields.map((f) => [f.key, f])), [fields]);
  const entries = q.data?.pages.flatMap((p) => p.entries) ?? [];

  function item(e: TimelineEntry) {
    switch (e.kind) {
      case 'history': {
        const h = e.history as unknown as HistoryEntry;
        return { color: h.action === 'delete' ? 'red' : h.action === 'create' ? 'green' : 'blue', children: <HistoryEntryView e={h} byKey={byKey} /> };
      }
      case 'stage': {
        const s = (e.stage ?? {}) as { actor?: string; flow?: string; from?: string; to?: string };
        return {
          color: 'purple',
          children: (
            <div>
              <Typography.Text strong>{s.actor ? <PersonValue id={s.actor} /> : t('history.system')}</Typography.Text>{' '}
              {t('timeline.moved')}{' '}
              {s.from ? t('timeline.from', { from: stateLabel(flows, s.flow, s.from, locale), to: stateLabel(flows, s.flow, s.to, locale) }) : t('timeline.entered', { to: stateLabel(flows, s.flow, s.to, locale) })}{' '}
              <When at={e.at} />
            </div>
          ),
        };
      }
      case 'approval': {
        const a = (e.approval ?? {}) as ApprovalInstance;
        return {
          color: a.status === 'rejected' ? 'red' : a.status === 'approved' ? 'green' : 'orange',
          children: (
            <div>
              <Typography.Text strong>{a.submitter ? <PersonValue id={a.submitter} /> : t('history.system')}</Typography.Text>{' '}
              {t('timeline.submitted')} {pick(a.label as Record<string, string>, locale)}{' '}
              {a.status && <Tag>{t(`approval.status.${a.status}`)}</Tag>} <When at={e.at} />
            </div>
          ),
        };
      }
      case 'activity': {
        const m = mods.find((x) => x.key === e.module);
        const r = (e.record ?? {}) as unknown as RecordData;
        const mf = m ? parseFields(m.schema) : [];
        const body = mf.find((f) => f.type === 'textarea');
        const kind = mf.find((f) => f.type === 'select' && r[f.key]);
        const actor = (r.created_by as string | undefined) ?? undefined;
        return {
          color: 'cyan',
          children: (
            <div>
              <div>
                <Typography.Text strong>{actor ? <PersonValue id={actor} /> : t('history.system')}</Typography.Text>{' '}
                {t('timeline.activity')} {m ? pick(m.label, locale) : e.module}{' '}
                {kind && <Tag>{optionLabel(kind, String(r[kind.key]), locale)}</Tag>}
                <When at={e.at} />
              </div>
              <div className="t-wrap">
                {m ? <a href={`/app/${def.app}/${m.key}/${r.id}`} onClick={(ev) => { ev.preventDefault(); window.dispatchEvent(new CustomEvent('tessera:navigate', { detail: `/app/${def.app}/${m.key}/${r.id}` })); }}>{titleOf(m, r)}</a> : r.id}
              </div>
              {body && typeof r[body.key] === 'string' && r[body.key] !== titleOf(m!, r) && (
                <Typography.Paragraph className="t-pre t-wrap" style={{ margin: 0 }} ellipsis={{ rows: 4, expandable: true }}>{String(r[body.key])}</Typography.Paragraph>
              )}
            </div>
          ),
        };
      }
      default:
        return { color: 'gray', children: <div>{t('timeline.merged')} <When at={e.at} /></div> };
    }
  }

  return (
    <>
      {q.isLoading ? <Skeleton active /> : q.error ? <ErrorState error={q.error} retry={() => q.refetch()} /> : !entries.length ? (
        <Empty description={t('timeline.none')} />
      ) : (
        <>
          <AntTimeline items={entries.map((e) => ({ key: `${e.kind}:${e.id}`, ...item(e) }))} />
          {q.hasNextPage && <Button onClick={() => q.fetchNextPage()} loading={q.isFetchingNextPage}>{t('common.loadMore')}</Button>}
        </>
      )}
    </>
  );
}

/** FollowUpBox writes one activity about the record: the text, the choices its module requires, now. */
export function FollowUpBox({ def, rec, activities }: { def: ModuleDef; rec: RecordData; activities: ActivityModule[] }) {
  const { t } = useTranslation();
  const svc = useRender();
  const locale = svc.format.locale;
  const { message } = App.useApp();
  const qc = useQueryClient();
  const [which, setWhich] = useState(activities[0].def.key);
  const a = activities.find((x) => x.def.key === which) ?? activities[0];
  const choices = useMemo(() => quickChoices(a), [a]);
  const [picked, setPicked] = useState<Record<string, string>>({});
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<string>();

  async function save() {
    setErr(undefined);
    if (!text.trim()) {
      setErr(t('followUp.empty'));
      return;
    }
    const chosen = Object.fromEntries(choices.map((f) => [f.key, picked[f.key] ?? f.options[0].value]));
    const values = followUpValues(a, rec.id, text, new Date(), chosen, inheritedLookups(a.def, a.via, def, rec));
    setBusy(true);
    try {
      await records.create(def.app, a.def.key, values);
      message.success(t('followUp.saved'));
      setText('');
      qc.invalidateQueries({ queryKey: ['timeline', def.app, def.key, rec.id] });
      qc.invalidateQueries({ queryKey: ['related', def.app, def.key, rec.id] });
    } catch (e) {
      // Field errors of a box that shows few fields: say them all, by label.
      if (e instanceof ApiError && e.fieldErrors.length) {
        const fs = new Map(parseFields(a.def.schema).map((f) => [f.key, f]));
        setErr(e.fieldErrors.map((fe) => (fs.get(fe.field) && !fe.message.includes(fieldLabel(fs.get(fe.field)!, locale)) ? `${fieldLabel(fs.get(fe.field)!, locale)}: ` : '') + fe.message).join(' '));
      } else setErr(errorText(e, t));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card size="small" title={<h2 style={{ fontSize: 14, margin: 0 }}>{t('followUp.title')}</h2>} style={{ marginBottom: 16 }}>
      <Space orientation="vertical" style={{ width: '100%' }}>
        <Input.TextArea
          id="followup-text"
          aria-label={t('followUp.title')}
          placeholder={t('followUp.placeholder')}
          autoSize={{ minRows: 2, maxRows: 6 }}
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) save(); }}
          status={err ? 'error' : undefined}
          aria-describedby={err ? 'followup-error' : undefined}
        />
        {err && <Typography.Text type="danger" id="followup-error" role="alert">{err}</Typography.Text>}
        <Space wrap>
          {activities.length > 1 && (
            <Select aria-label={t('followUp.module')} value={which} onChange={setWhich} style={{ minWidth: 120 }}
              options={activities.map((x) => ({ value: x.def.key, label: pick(x.def.label, locale) || x.def.key }))} />
          )}
          {choices.map((f) => (
            <Select key={f.key} aria-label={fieldLabel(f, locale)} value={picked[f.key] ?? f.options[0].value} style={{ minWidth: 110 }}
              onChange={(v) => setPicked((p) => ({ ...p, [f.key]: v }))}
              options={f.options.map((o) => ({ value: o.value, label: pick(o.label, locale) || o.value }))} />
          ))}
          <Button type="primary" onClick={save} loading={busy}>{t('followUp.save')}</Button>
        </Space>
      </Space>
    </Card>
  );
}

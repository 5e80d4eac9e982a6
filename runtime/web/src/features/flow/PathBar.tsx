// The stage path under a record's header: the pipeline's stages in order,
// the current one highlighted (won green, lost red). Clicking a stage fires
// the transition that leads there; the server checks roles, guards and
// required fields, and a refusal opens MoveDialog.
import { App, Skeleton, Tooltip } from 'antd';
import { CheckOutlined } from '@ant-design/icons';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { RecordData } from '../../api/records';
import { flows, type Flow } from '../../api/work';
export { useFlows } from './queries';
import { pick, type ModuleDef } from '../../render/schema';
import type { Values } from '../../render/RecordForm';
import { useSession } from '../session';
import { errorText } from '../shell/States';
import { MoveDialog } from './MoveDialog';
import { optionFor, optionRefusal, pathStages, refusalOf, type Refusal } from './stages';

/** useMove fires a move and reports it; it answers the refusal when the server refused. */
export function useMove(def: ModuleDef) {
  const { t } = useTranslation();
  const { locale } = useSession();
  const { message } = App.useApp();
  const qc = useQueryClient();
  return async (flow: Flow, rec: RecordData, key: string, to: string, values?: Values): Promise<Refusal | undefined> => {
    const stage = pick(flow.states?.find((s) => s.key === to)?.label as Record<string, string>, locale) || to;
    try {
      const out = await flows.fire(def.app, def.key, rec.id, flow.key ?? '', key, rec.version, values);
      if ('instance' in out) message.info(t('flow.approvalStarted', { stage }));
      else message.success(t('flow.moved', { stage }));
      qc.invalidateQueries({ queryKey: ['record', def.app, def.key, rec.id] });
      qc.invalidateQueries({ queryKey: ['transitions', def.app, def.key, rec.id] });
      qc.invalidateQueries({ queryKey: ['timeline', def.app, def.key, rec.id] });
      qc.invalidateQueries({ queryKey: ['approvals', 'record', def.app, def.key, rec.id] });
      qc.invalidateQueries({ queryKey: ['records', def.app, def.key] });
      return undefined;
    } catch (e) {
      const r = refusalOf(e, flow.field);
      if (r) return r;
      message.error(errorText(e, t));
      return undefined;
    }
  };
}

export function PathBar({ def, rec, flow }: { def: ModuleDef; rec: RecordData; flow: Flow }) {
  const { t } = useTranslation();
  const { locale } = useSession();
  const { message } = App.useApp();
  const move = useMove(def);
  const field = flow.field ?? '';
  const current = rec[field] as string | undefined;
  const opts = useQuery({
    queryKey: ['transitions', def.app, def.key, rec.id, rec.version],
    queryFn: () => flows.options(def.app, def.key, rec.id),
  });
  const [busy, setBusy] = useState<string>();
  const [refused, setRefused] = useState<{ stage: string; to: string; key: string; refusal: Refusal }>();
  const stages = pathStages(flow, current);

  async function go(to: string, label: string) {
    const o = optionFor(opts.data ?? [], flow.key ?? '', to);
    if (!o?.key) {
      message.warning(t('flow.noMove', { stage: label }));
      return;
    }
    // A move the server already knows it would refuse asks first; reason
    // fields are asked for before the move too.
    const pre = optionRefusal(o);
    if (pre || o.reason_required) {
      const r = pre ?? { messages: [], fields: {} };
      if (o.reason_required) r.fields[o.reason_required] = '';
      setRefused({ stage: label, to, key: o.key, refusal: r });
      return;
    }
    setBusy(to);
    const r = await move(flow, rec, o.key, to);
    setBusy(undefined);
    if (r) setRefused({ stage: label, to, key: o.key, refusal: r });
  }

  if (opts.isLoading) return <Skeleton.Button active block style={{ height: 36, marginBottom: 12 }} />;
  return (
    <nav aria-label={pick(flow.label as Record<string, string>, locale) || t('flow.path')} className="t-path-wrap">
      <ol className="t-path">
        {stages.map((s) => {
          const label = pick(s.label, locale) || s.key;
          const cls = `t-path-step t-path-${s.status} t-path-${s.kind}`;
          return (
            <li key={s.key} className={cls}>
              <Tooltip title={s.status === 'current' ? t('flow.current') : t('flow.moveTo', { stage: label })}>
                <button
                  type="button"
                  aria-current={s.status === 'current' ? 'step' : undefined}
                  disabled={s.status === 'current' || !!busy || !!rec.deleted_at}
                  onClick={() => go(s.key, label)}
                >
                  {s.status === 'done' && <CheckOutlined aria-hidden style={{ marginInlineEnd: 4 }} />}
                  {busy === s.key ? '…' : label}
                </button>
              </Tooltip>
            </li>
          );
        })}
      </ol>
      {refused && (
        <MoveDialog
          def={def}
          stage={refused.stage}
          refusal={refused.refusal}
          initial={rec}
          onClose={() => setRefused(undefined)}
          onMove={(values) => move(flow, rec, refused.key, refused.to, values)}
        />
      )}
    </nav>
  );
}

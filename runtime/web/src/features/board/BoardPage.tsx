// /app/{app}/{module}/board/{flow} — the kanban of a stage pipeline: one
// column per state with its count and the sum of a number field, cards
// with the title, amount and owner. Drag a card (dnd-kit; mouse, touch or
// keyboard) or use its menu to fire the transition to that column: the
// card moves at once and snaps back when the server refuses, with the
// guard's message — or the fields to fill in. Each column pages on its
// own; quick search and the filter builder apply to every column.
import { App, Button, Card, Dropdown, Empty, Input, Select, Skeleton, Space, Tag, Typography } from 'antd';
import { FilterOutlined, MoreOutlined, UnorderedListOutlined } from '@ant-design/icons';
import { DndContext, KeyboardSensor, PointerSensor, useDraggable, useDroppable, useSensor, useSensors, type DragEndEvent } from '@dnd-kit/core';
import { useQuery } from '@tanstack/react-query';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import type { RecordData } from '../../api/records';
import { flows, type Flow } from '../../api/work';
import { useRender } from '../../render/context';
import { formatNumber } from '../../render/format';
import { PersonValue } from '../../render/Value';
import { fieldLabel, isNumeric, parseFields, pick, textFields, type Field, type ModuleDef } from '../../render/schema';
import { titleOf, useModule } from '../data';
import { useSession } from '../session';
import { useQueryState } from '../list/useParams';
import { ErrorState, errorText } from '../shell/States';
import { FilterBuilder } from '../list/FilterBuilder';
import { and, decodeState, encodeState, quickSearch, toExpr } from '../list/filter';
import { MoveDialog } from '../flow/MoveDialog';
import { refusalOf, transitionFor, type Refusal } from '../flow/stages';
import { appendPage, moveCard, replaceCard, toColumns, type Column } from './board';

const pageSize = 20;

export function BoardPage() {
  const { app = '', module = '', flow = '' } = useParams();
  const mod = useModule(app, module);
  const fl = useQuery({ queryKey: ['flow', app, flow], queryFn: () => flows.get(app, flow) });
  if (mod.isLoading || fl.isLoading) return <div className="t-page"><Skeleton active /></div>;
  if (mod.error || !mod.data) return <ErrorState error={mod.error} retry={() => mod.refetch()} />;
  if (fl.error || !fl.data) return <ErrorState error={fl.error} retry={() => fl.refetch()} />;
  return <Board def={mod.data} flow={fl.data} />;
}

function Board({ def, flow }: { def: ModuleDef; flow: Flow }) {
  const { t } = useTranslation();
  const { locale } = useSession();
  const svc = useRender();
  const { message } = App.useApp();
  const [params, setParam] = useQueryState();
  const fields = useMemo(() => parseFields(def.schema), [def.schema]);
  const numeric = fields.filter((f) => isNumeric(f) && f.type !== 'formula');
  const stageField = flow.field ?? '';
  const sumKey = params.get('sum') ?? (numeric.find((f) => f.type === 'currency') ?? numeric[0])?.key ?? '';
  const sumField = fields.find((f) => f.key === sumKey);
  const q = params.get('q') ?? '';
  const builder = useMemo(() => decodeState(params.get('f')), [params]);
  const advanced = params.get('filter') ?? '';
  const filter = and(quickSearch(q, textFields(fields)), toExpr(builder, fields), advanced);
  const [searchText, setSearchText] = useState(q);
  const [builderOpen, setBuilderOpen] = useState(false);
  const moduleLabel = pick(def.label, locale) || def.key;

  const board = useQuery({
    queryKey: ['board', def.app, def.key, flow.key, sumKey, filter],
    queryFn: () => flows.board(def.app, def.key, { flow: flow.key ?? '', sum: sumKey || undefined, filter: filter || undefined, limit: pageSize }),
  });
  const [cols, setCols] = useState<Column[]>([]);
  useEffect(() => setCols(toColumns(board.data?.columns)), [board.data]);
  const [refused, setRefused] = useState<{ rec: RecordData; key: string; to: string; stage: string; refusal: Refusal; before: Column[] }>();
  const [moreBusy, setMoreBusy] = useState<string>();

  const sensors = useSensors(useSensor(PointerSensor, { activationConstraint: { distance: 6 } }), useSensor(KeyboardSensor));
  const stateLabel = (s: string) => pick(cols.find((c) => c.state === s)?.label as Record<string, string>, locale) || s;

  async function move(rec: RecordData, from: string, to: string, values?: Record<string, unknown>, before = cols): Promise<Refusal | undefined> {
    if (from === to) return undefined;
    const tr = transitionFor(flow, from, to);
    const stage = stateLabel(to);
    if (!tr) {
      message.warning(t('flow.noMove', { stage }));
      return undefined;
    }
    setCols(moveCard(before, rec.id, from, to, stageField, sumKey || undefined));
    try {
      const out = await flows.fire(def.app, def.key, rec.id, flow.key ?? '', tr.key, rec.version, values);
      if ('instance' in out) {
        // The move waits for approval: the card stays where it was.
        setCols(before);
        message.info(t('flow.approvalStarted', { stage }));
      } else {
        setCols((c) => replaceCard(c, out));
        message.success(t('board.moved', { title: titleOf(def, rec), stage }));
      }
      return undefined;
    } catch (e) {
      setCols(before); // snap back
      const r = refusalOf(e, stageField);
      if (!r) {
        message.error(errorText(e, t));
        return undefined;
      }
      if (Object.keys(r.fields).length) {
        if (!values) setRefused({ rec, key: tr.key, to, stage, refusal: r, before });
        return r;
      }
      message.error({ content: <span role="alert">{t('board.refused', { reason: r.messages.join(' ') })}</span>, duration: 6 });
      return values ? r : undefined;
    }
  }

  function onDragEnd(e: DragEndEvent) {
    const to = e.over?.id as string | undefined;
    const from = e.active.data.current?.from as string | undefined;
    const rec = cols.find((c) => c.state === from)?.records.find((r) => r.id === e.active.id);
    if (!to || !from || !rec) return;
    move(rec, from, to);
  }

  async function more(state: string, cursor: string) {
    setMoreBusy(state);
    try {
      const b = await flows.board(def.app, def.key, { flow: flow.key ?? '', sum: sumKey || undefined, filter: filter || undefined, limit: pageSize, state, cursor });
      setCols((c) => appendPage(c, state, toColumns(b.columns).find((x) => x.state === state)));
    } catch (err) {
      message.error(errorText(err, t));
    } finally {
      setMoreBusy(undefined);
    }
  }

  return (
    <div className="t-page">
      <div className="t-page-head">
        <Typography.Title level={1} className="t-grow">{t('board.title', { module: moduleLabel })} <Typography.Text type="secondary" style={{ fontSize: 14 }}>{pick(flow.label as Record<string, string>, locale)}</Typography.Text></Typography.Title>
        <Link to={`/${def.app}/${def.key}`}><UnorderedListOutlined aria-hidden /> {t('board.list')}</Link>
      </div>
      <div className="t-toolbar">
        <Input.Search
          aria-label={t('list.quickSearch', { fields: textFields(fields).slice(0, 3).map((f) => fieldLabel(f, locale)).join('、') })}
          placeholder={t('list.quickSearch', { fields: textFields(fields).slice(0, 3).map((f) => fieldLabel(f, locale)).join(locale === 'zh-CN' ? '、' : ', ') })}
          value={searchText} onChange={(e) => setSearchText(e.target.value)} onSearch={(v) => setParam({ q: v.trim() })} allowClear style={{ maxWidth: 280 }}
        />
        <Button icon={<FilterOutlined />} onClick={() => setBuilderOpen(true)}>
          {t('common.filter')}{builder.conditions.length || advanced ? ` (${builder.conditions.length + (advanced ? 1 : 0)})` : ''}
        </Button>
        {(builder.conditions.length > 0 || advanced) && <Button type="link" onClick={() => setParam({ f: '', filter: '' })}>{t('list.clearFilters')}</Button>}
        {numeric.length > 0 && (
          <Space size={4}>
            <label htmlFor="board-sum">{t('board.sumBy')}</label>
            <Select id="board-sum" value={sumKey} onChange={(v) => setParam({ sum: v })} style={{ minWidth: 120 }}
              options={numeric.map((f) => ({ value: f.key, label: fieldLabel(f, locale) }))} />
          </Space>
        )}
      </div>
      <Typography.Paragraph type="secondary" style={{ fontSize: 12 }}>{t('board.dragHint')}</Typography.Paragraph>
      {board.isLoading ? <Skeleton active /> : board.error ? <ErrorState error={board.error} retry={() => board.refetch()} /> : (
        <DndContext sensors={sensors} onDragEnd={onDragEnd}
          accessibility={{ screenReaderInstructions: { draggable: t('board.dragHint') } }}>
          <div className="t-board" role="list" aria-label={t('board.title', { module: moduleLabel })}>
            {cols.map((c) => (
              <BoardColumn key={c.state} col={c} sumField={sumField} fields={fields} def={def} stageField={stageField}
                states={cols.map((x) => ({ key: x.state, label: pick(x.label as Record<string, string>, locale) || x.state }))}
                onMove={(rec, to) => move(rec, c.state, to)} onMore={() => c.next_cursor && more(c.state, c.next_cursor)} moreBusy={moreBusy === c.state}
                format={(n) => (sumField ? formatNumber(svc.format, n, sumField) : String(n))} />
            ))}
          </div>
        </DndContext>
      )}
      <FilterBuilder open={builderOpen} onClose={() => setBuilderOpen(false)} app={def.app} module={def.key} fields={fields} locale={locale}
        state={builder} advanced={advanced} onApply={(s, adv) => { setParam({ f: encodeState(s), filter: adv }); setBuilderOpen(false); }} />
      {refused && (
        <MoveDialog def={def} stage={refused.stage} refusal={refused.refusal} initial={refused.rec}
          onClose={() => setRefused(undefined)}
          onMove={(values) => move(refused.rec, refused.rec[stageField] as string, refused.to, values, refused.before)} />
      )}
    </div>
  );
}

function BoardColumn({ col, sumField, fields, def, states, stageField, onMove, onMore, moreBusy, format }: {
  col: Column; sumField?: Field; fields: Field[]; def: ModuleDef; states: { key: string; label: string }[]; stageField: string;
  onMove: (rec: RecordData, to: string) => void; onMore: () => void; moreBusy: boolean; format: (n: number) => string;
}) {
  const { t } = useTranslation();
  const { locale } = useSession();
  const { setNodeRef, isOver, active } = useDroppable({ id: col.state });
  const from = active?.data.current?.from as string | undefined;
  const label = pick(col.label as Record<string, string>, locale) || col.state;
  const sum = col.sum == null ? undefined : Number(col.sum);
  const kindColor = col.kind === 'won' ? 'green' : col.kind === 'lost' ? 'red' : undefined;
  return (
    <section ref={setNodeRef} role="listitem" aria-label={label} data-state={col.state}
      className={`t-board-col${isOver && from && from !== col.state ? ' t-drop-ok' : ''}`}>
      <div className="t-board-col-head">
        <span className="t-wrap">{kindColor ? <Tag color={kindColor} style={{ color: "rgba(0,0,0,0.88)" }}>{label}</Tag> : label}</span>
        <span className="t-num" aria-label={t('board.count', { n: col.count ?? 0 })}>{col.count ?? 0}</span>
      </div>
      {sumField && sum !== undefined && !Number.isNaN(sum) && (
        <div style={{ padding: '0 4px 8px', fontSize: 12 }}><Typography.Text type="secondary">{fieldLabel(sumField, locale)} </Typography.Text><span className="t-num">{format(sum)}</span></div>
      )}
      {!col.records.length && <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('board.empty')} />}
      {col.records.map((r) => (
        <BoardCard key={r.id} rec={r} from={col.state} def={def} fields={fields} sumField={sumField} format={format}
          targets={states.filter((s) => s.key !== col.state)} onMove={(to) => onMove(r, to)} stageField={stageField} />
      ))}
      {col.next_cursor && <Button block type="text" loading={moreBusy} onClick={onMore}>{t('board.more')}</Button>}
    </section>
  );
}

function BoardCard({ rec, from, def, sumField, format, targets, onMove }: {
  rec: RecordData; from: string; def: ModuleDef; fields: Field[]; sumField?: Field; format: (n: number) => string;
  targets: { key: string; label: string }[]; onMove: (to: string) => void; stageField: string;
}) {
  const { t } = useTranslation();
  // A group, not a button: the card holds a link and a menu button of its own.
  const { attributes, listeners, setNodeRef, transform, isDragging } = useDraggable({ id: rec.id, data: { from }, attributes: { role: 'group', roleDescription: t('board.card') } });
  const style = transform ? { transform: `translate3d(${transform.x}px, ${transform.y}px, 0)`, zIndex: 20, position: 'relative' as const } : undefined;
  const title = titleOf(def, rec);
  const amount = sumField ? rec[sumField.key] : undefined;
  return (
    <div ref={setNodeRef} style={style} className={`t-board-card${isDragging ? ' t-dragging' : ''}`} data-id={rec.id} {...attributes} {...listeners}>
      <Card size="small">
        <div style={{ display: 'flex', gap: 4, alignItems: 'flex-start' }}>
          <Link to={`/${def.app}/${def.key}/${rec.id}`} className="t-title-link t-wrap t-grow" onPointerDown={(e) => e.stopPropagation()}>{title}</Link>
          <Dropdown trigger={['click']} menu={{ items: targets.map((s) => ({ key: s.key, label: s.label })), onClick: ({ key }) => onMove(key) }}>
            <Button size="small" type="text" icon={<MoreOutlined />} aria-label={t('board.moveMenu', { title })} onPointerDown={(e) => e.stopPropagation()} onKeyDown={(e) => e.stopPropagation()} />
          </Dropdown>
        </div>
        {amount !== undefined && amount !== null && amount !== '' && <div className="t-num">{format(Number(amount))}</div>}
        {rec.owner && <Typography.Text type="secondary" style={{ fontSize: 12 }}><PersonValue id={rec.owner} /></Typography.Text>}
      </Card>
    </div>
  );
}

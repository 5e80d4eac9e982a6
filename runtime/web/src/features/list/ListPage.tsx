// A module's list: title + count, quick search, the filter builder with
// removable chips, a toolbar (new, bulk actions on selection, columns,
// density), the table (virtualized, sortable headers, cursor paging as
// rows are scrolled to) — or cards on a phone. Filter, sort and search live
// in the URL, so every list is a deep link.
import { App, Button, Card, Checkbox, Dropdown, Empty, Grid, Input, List, Modal, Segmented, Skeleton, Space, Table, Tag, Typography, type TableProps } from 'antd';
import { FilterOutlined, PlusOutlined, ProjectOutlined, SettingOutlined } from '@ant-design/icons';
import { useInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import { ApiError } from '../../api/http';
import { records, type RecordData } from '../../api/records';
import { recordColumns } from '../../render/columns';
import { FieldValue, navigateInApp } from '../../render/Value';
import { FieldWidget } from '../../render/widgets';
import { fieldLabel, parseFields, pick, textFields, titleField, type Field } from '../../render/schema';
import { moduleQuery, titleOf, useModule } from '../data';
import { useSession } from '../session';
import { useQueryState } from './useParams';
import { ErrorState, errorText } from '../shell/States';
import { FilterBuilder } from './FilterBuilder';
import { and, conditionExpr, decodeState, encodeState, quickSearch, toExpr, type FilterState } from './filter';
import { useFlows } from '../flow/queries';

const pageSize = 200;

function useViewportHeight() {
  const [h, setH] = useState(() => window.innerHeight);
  useEffect(() => {
    const on = () => setH(window.innerHeight);
    window.addEventListener('resize', on);
    return () => window.removeEventListener('resize', on);
  }, []);
  return h;
}

function storedColumns(key: string): string[] | undefined {
  try {
    const v = JSON.parse(localStorage.getItem(key) ?? 'null');
    return Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** runAll runs jobs four at a time and reports the failures. */
async function runAll<T>(items: T[], job: (x: T) => Promise<unknown>): Promise<{ ok: number; failed: { item: T; error: unknown }[] }> {
  let ok = 0;
  const failed: { item: T; error: unknown }[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(4, items.length) }, async () => {
      while (next < items.length) {
        const x = items[next++];
        try {
          await job(x);
          ok++;
        } catch (error) {
          failed.push({ item: x, error });
        }
      }
    }),
  );
  return { ok, failed };
}

export function ListPage() {
  const { app = '', module = '' } = useParams();
  const mod = useModule(app, module);
  if (mod.isLoading) return <div className="t-page"><Skeleton active /></div>;
  if (mod.error || !mod.data) return <ErrorState error={mod.error} retry={() => mod.refetch()} />;
  return <ModuleList key={`${app}/${module}`} app={app} module={module} def={mod.data} />;
}

function ModuleList({ app, module, def }: { app: string; module: string; def: ReturnType<typeof useModule>['data'] & object }) {
  const { t } = useTranslation();
  const session = useSession();
  const locale = session.locale;
  const qc = useQueryClient();
  const { message, modal } = App.useApp();
  const navigate = useNavigate();
  const screens = Grid.useBreakpoint();
  const mobile = screens.md === false;
  const vh = useViewportHeight();
  const [params, setParam] = useQueryState();
  const fields = useMemo(() => parseFields(def.schema), [def.schema]);
  const title = useMemo(() => titleField(def.schema, fields), [def.schema, fields]);
  const search = useMemo(() => textFields(fields), [fields]);
  const moduleLabel = pick(def.label, locale) || module;

  const flowList = useFlows(app, module);
  const q = params.get('q') ?? '';
  const sort = params.get('sort') ?? '';
  const builder = useMemo(() => decodeState(params.get('f')), [params]);
  const advanced = params.get('filter') ?? '';
  const filter = and(quickSearch(q, search), toExpr(builder, fields), advanced);
  const [searchText, setSearchText] = useState(q);
  useEffect(() => setSearchText(q), [q]);

  const colsKey = `tessera.cols.${app}.${module}`;
  const [shown, setShown] = useState<string[]>(() => storedColumns(colsKey) ?? fields.slice(0, 8).map((f) => f.key));
  const visible = fields.filter((f) => shown.includes(f.key) || f === title);
  const [density, setDensity] = useState<'small' | 'middle'>('middle');
  const expand = visible.filter((f) => f.type === 'lookup' || f.type === 'user').slice(0, 10).map((f) => f.key).join(',');

  const list = useInfiniteQuery({
    queryKey: ['records', app, module, filter, sort, expand],
    initialPageParam: '',
    queryFn: async ({ pageParam, signal }) => {
      const page = await records.list(app, module, { filter: filter || undefined, sort: sort || undefined, limit: pageSize, cursor: pageParam || undefined, total: !pageParam, expand: expand || undefined, signal });
      // Titles of looked-up records, from each target's title field.
      for (const f of visible.filter((f) => f.type === 'lookup' && f.module)) {
        const target = await qc.fetchQuery(moduleQuery(app, f.module!)).catch(() => undefined);
        if (!target) continue;
        for (const r of page.records) {
          const ex = r.expand?.[f.key];
          if (ex) (ex as Record<string, unknown>).__title = titleOf(target, ex);
        }
      }
      return page;
    },
    getNextPageParam: (last) => last.next_cursor || undefined,
  });
  const rows = useMemo(() => list.data?.pages.flatMap((p) => p.records) ?? [], [list.data]);
  const total = list.data?.pages[0]?.total;
  // Past 10,000 the server stops counting: "10,000+".
  const totalExact = list.data?.pages[0]?.total_exact !== false;

  const [selected, setSelected] = useState<string[]>([]);
  useEffect(() => setSelected([]), [filter, sort]);
  const [builderOpen, setBuilderOpen] = useState(false);
  const [assignOpen, setAssignOpen] = useState(false);
  const [assignee, setAssignee] = useState<string>();
  const [busy, setBusy] = useState(false);

  // Keyboard: n opens a new record.
  useEffect(() => {
    const on = (e: KeyboardEvent) => {
      const el = e.target as HTMLElement;
      if (e.key === 'n' && !e.ctrlKey && !e.metaKey && !e.altKey && !/INPUT|TEXTAREA|SELECT/.test(el.tagName) && !el.isContentEditable && !document.querySelector('.ant-modal-wrap, .ant-drawer-open')) {
        e.preventDefault();
        navigate(`/${app}/${module}/new`);
      }
    };
    window.addEventListener('keydown', on);
    return () => window.removeEventListener('keydown', on);
  }, [app, module, navigate]);

  const href = (id: string) => `/app/${app}/${module}/${id}`;
  const columns = useMemo(
    () => recordColumns(visible, { locale, title, href, sortField: sort.replace(/^-/, '') || undefined, sortDesc: sort.startsWith('-'), untitled: t('record.untitled') }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [visible.map((f) => f.key).join(), locale, title, sort, t],
  );
  const tableWidth = columns.reduce((s, c) => s + (Number(c.width) || 160), 48);

  const onTableChange: TableProps<RecordData>['onChange'] = (_p, _f, sorter) => {
    const s = Array.isArray(sorter) ? sorter[0] : sorter;
    if (!s || !s.order || !s.columnKey) setParam({ sort: '' });
    else setParam({ sort: (s.order === 'descend' ? '-' : '') + String(s.columnKey) });
  };

  const loadMore = () => {
    if (list.hasNextPage && !list.isFetchingNextPage) list.fetchNextPage();
  };

  async function bulkDelete() {
    const ids = [...selected];
    modal.confirm({
      title: t('list.deleteConfirm', { count: ids.length }),
      okText: t('common.delete'),
      okButtonProps: { danger: true },
      cancelText: t('common.cancel'),
      onOk: async () => {
        const r = await runAll(ids, (id) => records.remove(app, module, id));
        if (r.ok) message.success(t('list.deleted', { count: r.ok }));
        if (r.failed.length) message.error(t('list.deleteFailed', { count: r.failed.length, detail: errorText(r.failed[0].error, t) }));
        setSelected([]);
        qc.invalidateQueries({ queryKey: ['records', app, module] });
      },
    });
  }

  async function bulkAssign() {
    if (!assignee) return;
    setBusy(true);
    const byId = new Map(rows.map((r) => [r.id, r]));
    const r = await runAll(selected, (id) => records.update(app, module, id, Number(byId.get(id)?.version), { owner: assignee }));
    setBusy(false);
    setAssignOpen(false);
    if (r.ok) message.success(t('list.assigned', { count: r.ok }));
    if (r.failed.length) message.error(t('list.deleteFailed', { count: r.failed.length, detail: errorText(r.failed[0].error, t) }));
    setSelected([]);
    qc.invalidateQueries({ queryKey: ['records', app, module] });
  }

  const chips = builder.conditions
    .map((c, i) => ({ c, i, f: fields.find((f) => f.key === c.field) }))
    .filter((x) => x.f && conditionExpr(x.c, x.f));
  const filtered = !!filter;
  const filterError = list.error instanceof ApiError && list.error.status === 400 ? list.error : undefined;

  const emptyState = (
    <Empty
      description={filtered ? t('list.emptyFiltered') : t('list.emptyTitle', { module: moduleLabel })}
    >
      {filtered ? (
        <Button onClick={() => setParam({ q: '', f: '', filter: '' })}>{t('list.clearFilters')}</Button>
      ) : (
        <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate(`/${app}/${module}/new`)}>{t('list.emptyAction', { module: moduleLabel })}</Button>
      )}
    </Empty>
  );

  const n = (x: number) => x.toLocaleString(locale); // thousands separators
  const countText = total !== undefined ? t('list.count', { n: n(total) }) : rows.length ? t('list.countMore', { n: n(rows.length) }) : '';

  return (
    <div className="t-page">
      <div className="t-page-head">
        <Typography.Title level={1}>{moduleLabel}</Typography.Title>
        <Typography.Text type="secondary" aria-live="polite">{countText}</Typography.Text>
        <span className="t-grow" />
        {(flowList.data ?? []).map((f) => (
          <Link key={f.key} to={`/${app}/${module}/board/${f.key}?${new URLSearchParams([...params].filter(([k]) => ['q', 'f', 'filter'].includes(k)))}`}>
            <ProjectOutlined aria-hidden /> {t('board.open')}{flowList.data!.length > 1 ? ` · ${pick(f.label as Record<string, string>, locale)}` : ''}
          </Link>
        ))}
        <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate(`/${app}/${module}/new`)}>{t('common.new')}</Button>
      </div>
      <div className="t-toolbar">
        <Input.Search
          aria-label={t('list.quickSearch', { fields: search.map((f) => fieldLabel(f, locale)).join(locale === 'zh-CN' ? '、' : ', ') })}
          placeholder={t('list.quickSearch', { fields: search.slice(0, 3).map((f) => fieldLabel(f, locale)).join(locale === 'zh-CN' ? '、' : ', ') })}
          allowClear
          value={searchText}
          onChange={(e) => setSearchText(e.target.value)}
          onSearch={(v) => setParam({ q: v.trim() })}
          style={{ width: mobile ? '100%' : 280 }}
          disabled={!search.length}
        />
        <Button icon={<FilterOutlined />} onClick={() => setBuilderOpen(true)}>
          {t('common.filter')}{builder.conditions.length || advanced ? ` (${chips.length + (advanced ? 1 : 0)})` : ''}
        </Button>
        {chips.map(({ c, i, f }) => (
          <Tag key={i} closable closeIcon onClose={() => setParam({ f: encodeState({ ...builder, conditions: builder.conditions.filter((_, j) => j !== i) }) })}>
            {fieldLabel(f!, locale)} {t(`filterBuilder.ops.${c.op}`)} {c.value !== undefined && <FieldValue field={c.op === 'in' ? { ...f!, type: 'multiselect' } : f!} value={c.value} />}
          </Tag>
        ))}
        {advanced && (
          <Tag closable onClose={() => setParam({ filter: '' })} className="t-mono">{advanced.length > 40 ? advanced.slice(0, 40) + '…' : advanced}</Tag>
        )}
        <span className="t-grow" />
        {selected.length > 0 && (
          <Space wrap>
            <Typography.Text>{t('list.selected', { count: selected.length })}</Typography.Text>
            <Button danger onClick={bulkDelete}>{t('list.bulkDelete')}</Button>
            <Button onClick={() => setAssignOpen(true)}>{t('list.bulkAssign')}</Button>
          </Space>
        )}
        {!mobile && (
          <>
            <Dropdown
              trigger={['click']}
              popupRender={() => (
                <Card size="small" style={{ maxHeight: 360, overflow: 'auto' }}>
                  <Checkbox.Group
                    value={shown}
                    onChange={(v) => {
                      const next = v as string[];
                      setShown(next);
                      try { localStorage.setItem(colsKey, JSON.stringify(next)); } catch { /* ignore */ }
                    }}
                    style={{ display: 'flex', flexDirection: 'column', gap: 4 }}
                    options={fields.map((f) => ({ value: f.key, label: fieldLabel(f, locale), disabled: f === title }))}
                  />
                </Card>
              )}
            >
              <Button icon={<SettingOutlined />}>{t('list.columns')}</Button>
            </Dropdown>
            <Segmented
              aria-label={t('list.density')}
              value={density}
              onChange={(v) => setDensity(v as 'small' | 'middle')}
              options={[{ value: 'middle', label: 'M' }, { value: 'small', label: 'S' }]}
            />
          </>
        )}
      </div>

      {filterError ? (
        <ErrorState error={filterError} retry={() => setParam({ filter: '', f: '', q: '' })} />
      ) : list.error ? (
        <ErrorState error={list.error} retry={() => list.refetch()} />
      ) : mobile ? (
        list.isLoading ? <Skeleton active /> : !rows.length ? emptyState : (
          <div className="t-card-list">
            <List
              dataSource={rows}
              renderItem={(r) => {
                const h = href(r.id);
                return (
                  <Card size="small" key={r.id}>
                    <a href={h} onClick={(e) => navigateInApp(e, h)} className="t-title-link t-wrap">
                      {title && r[title.key] ? String(r[title.key]) : t('record.untitled')}
                    </a>
                    {visible.filter((f) => f !== title).slice(0, 4).map((f) => (
                      <div className="t-card-row" key={f.key}>
                        <span>{fieldLabel(f, locale)}</span>
                        <span className="t-wrap"><FieldValue field={f} value={r[f.key]} expanded={(r.expand?.[f.key] as Record<string, unknown>) ?? undefined} /></span>
                      </div>
                    ))}
                  </Card>
                );
              }}
            />
            {list.hasNextPage && <Button block onClick={loadMore} loading={list.isFetchingNextPage}>{t('common.loadMore')}</Button>}
          </div>
        )
      ) : (
        <>
          <Table<RecordData>
            rowKey="id"
            virtual
            size={density}
            loading={list.isLoading}
            columns={columns}
            dataSource={rows}
            pagination={false}
            sticky
            scroll={{ x: tableWidth, y: Math.max(320, vh - 250) }}
            onChange={onTableChange}
            locale={{ emptyText: list.isLoading ? ' ' : emptyState }}
            rowSelection={{ selectedRowKeys: selected, onChange: (k) => setSelected(k as string[]), columnWidth: 48 }}
            onScroll={(e) => {
              const el = e.currentTarget as HTMLElement;
              if (el.scrollHeight - el.scrollTop - el.clientHeight < 400) loadMore();
            }}
          />
          <Space style={{ marginTop: 8 }}>
            <Typography.Text type="secondary">
              {total !== undefined && (rows.length < total || (!totalExact && list.hasNextPage)) ? t('list.loaded', { loaded: n(rows.length), total: n(total) + (totalExact ? '' : '+') }) : rows.length ? t('list.allLoaded', { n: n(rows.length) }) : ''}
            </Typography.Text>
            {list.hasNextPage && <Button size="small" onClick={loadMore} loading={list.isFetchingNextPage}>{t('common.loadMore')}</Button>}
          </Space>
        </>
      )}

      <FilterBuilder
        open={builderOpen}
        onClose={() => setBuilderOpen(false)}
        app={app}
        module={module}
        fields={fields}
        locale={locale}
        state={builder}
        advanced={advanced}
        onApply={(s: FilterState, adv: string) => {
          setParam({ f: encodeState(s), filter: adv });
          setBuilderOpen(false);
        }}
      />
      <Modal
        open={assignOpen}
        title={t('list.assignTitle', { count: selected.length })}
        onCancel={() => setAssignOpen(false)}
        onOk={bulkAssign}
        okButtonProps={{ disabled: !assignee }}
        confirmLoading={busy}
        okText={t('common.save')}
        cancelText={t('common.cancel')}
        destroyOnHidden
      >
        <label htmlFor="assign-owner" className="t-skip">{t('record.owner')}</label>
        <FieldWidget
          field={ownerField(t('record.owner'))}
          id="assign-owner"
          value={assignee}
          onChange={(v) => setAssignee(v as string | undefined)}
        />
      </Modal>
    </div>
  );
}

export function ownerField(label: string): Field {
  return { key: 'owner', type: 'user', label: { en: label, 'zh-CN': label }, required: false, readOnly: false, options: [], schema: {} };
}

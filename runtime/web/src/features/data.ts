// Server state the pages share, through TanStack Query.
import { useQuery } from '@tanstack/react-query';
import { api, data, type App, type Module } from '../api/client';
import { request } from '../api/http';
import { records } from '../api/records';
import type { RenderServices, PersonRef, RecordRef } from '../render/context';
import type { FormatContext } from '../render/format';
import { parseFields, titleField, type ModuleDef, type RegionNode } from '../render/schema';

export function toDef(m: Module): ModuleDef {
  return { app: m.app, key: m.key, label: m.label as Record<string, string>, version: m.version, schema: m.schema as Record<string, unknown> };
}

export const appsQuery = () => ({
  queryKey: ['apps'],
  queryFn: async () => (await data(api.GET('/api/apps'))).apps as App[],
  staleTime: 60_000,
});

export const modulesQuery = (app: string) => ({
  queryKey: ['modules', app],
  queryFn: async () =>
    ((await data(api.GET('/api/apps/{app}/modules', { params: { path: { app } } }))).modules as Module[]).map(toDef),
  staleTime: 30_000,
});

export const moduleQuery = (app: string, key: string) => ({
  queryKey: ['module', app, key],
  queryFn: async () => toDef(await data(api.GET('/api/apps/{app}/modules/{module}', { params: { path: { app, module: key } } }))),
  staleTime: 30_000,
});

export function useApps() {
  return useQuery(appsQuery());
}
export function useModules(app: string | undefined) {
  return useQuery({ ...modulesQuery(app ?? ''), enabled: !!app });
}
export function useModule(app: string, key: string) {
  return useQuery(moduleQuery(app, key));
}

/** quote writes a string literal of the expression language. */
export const quote = (s: string) => JSON.stringify(s);

/** titleOf is a record's title: its title field's value, else its id. */
export function titleOf(def: ModuleDef, rec: Record<string, unknown>): string {
  const f = titleField(def.schema, parseFields(def.schema));
  const v = f ? rec[f.key] : undefined;
  return v === undefined || v === null || v === '' ? String(rec.id ?? '') : String(v);
}

async function people(query: Record<string, string>): Promise<PersonRef[]> {
  const r = await request<{ people: PersonRef[] }>('GET', '/api/people', { query });
  return r.people;
}

/** services are the renderer's connection to this server for one app. */
export function services(
  app: string,
  format: FormatContext,
  loadModule: (key: string) => Promise<ModuleDef>,
): RenderServices {
  const refs = async (module: string, filter: string | undefined, limit: number): Promise<RecordRef[]> => {
    const def = await loadModule(module);
    const page = await records.list(app, module, { filter, limit });
    return page.records.map((r) => ({ id: r.id, title: titleOf(def, r) }));
  };
  return {
    app,
    format,
    loadModule,
    async searchRecords(module, q) {
      const def = await loadModule(module);
      const f = titleField(def.schema, parseFields(def.schema));
      const filter = q.trim() && f ? `${f.key} contains ${quote(q.trim())}` : undefined;
      return refs(module, filter, 20);
    },
    async recordTitles(module, ids) {
      if (!ids.length) return [];
      return refs(module, `id in [${ids.map(quote).join(', ')}]`, Math.min(ids.length, 500));
    },
    async createRecord(module, values) {
      const def = await loadModule(module);
      const r = await records.create(app, module, values);
      return { id: r.id, title: titleOf(def, r) };
    },
    searchPeople: (q) => people(q.trim() ? { q: q.trim() } : {}),
    people: (ids) => people({ ids: ids.join(','), limit: String(Math.min(Math.max(ids.length, 1), 100)) }),
    recordHref: (module, id) => `/app/${app}/${module}/${id}`,
    regions: async (level) => (await request<{ regions: RegionNode[] }>('GET', '/api/regions', { query: { level } })).regions,
  };
}

// What the renderer needs from its host: the runtime app passes the real
// API (features/…), the designer's preview can pass sample data. Nothing in
// the renderer calls the server itself.
import { createContext, useContext } from 'react';
import { defaultFormat, type FormatContext } from './format';
import type { ModuleDef, RegionNode } from './schema';

export interface RecordRef {
  id: string;
  title: string;
}

export interface PersonRef {
  id: string;
  name: string;
}

export interface RenderServices {
  app: string;
  format: FormatContext;
  /** loadModule returns a module of the app (lookup targets, child modules). */
  loadModule(key: string): Promise<ModuleDef>;
  /** searchRecords finds records of a module by its title field. */
  searchRecords(module: string, q: string): Promise<RecordRef[]>;
  /** recordTitles resolves ids of a module to their titles. */
  recordTitles(module: string, ids: string[]): Promise<RecordRef[]>;
  /** createRecord creates a record (inline create from a lookup) and returns it. */
  createRecord(module: string, values: Record<string, unknown>): Promise<RecordRef>;
  searchPeople(q: string): Promise<PersonRef[]>;
  people(ids: string[]): Promise<PersonRef[]>;
  /** recordHref is the page of a record (lookup values link to it). */
  recordHref?(module: string, id: string): string;
  /** regions is China's division tree down to level (province, city, district), for region fields. */
  regions?(level: string): Promise<RegionNode[]>;
}

const none = async () => [];
export const sampleServices: RenderServices = {
  app: 'preview',
  format: defaultFormat,
  loadModule: async (key) => ({ app: 'preview', key, label: {}, version: 1, schema: { properties: {} } }),
  searchRecords: none,
  recordTitles: none,
  createRecord: async () => ({ id: '', title: '' }),
  searchPeople: none,
  people: none,
};

export const RenderContext = createContext<RenderServices>(sampleServices);
export const useRender = () => useContext(RenderContext);

// The browser's validation against the shared fixture: the same field
// errors as the server (runtime/web/fixture_test.go checks the server), in
// the same order, in both languages.
import { describe, expect, it } from 'vitest';
import fixture from '../../testdata/validation.json';
import { compile } from './ajv';
import { parseFields } from './schema';
import { render, validateRecord } from './validate';

// The schema as the server stores and serves it (GET …/modules/{m}).
const schema = fixture.stored as Record<string, unknown>;
const fields = parseFields(schema);
const check = compile(schema);

describe('validation like the server', () => {
  for (const c of fixture.cases) {
    it(c.name, async () => {
      const got = await validateRecord(fields, c.values as Record<string, unknown>, check);
      expect(got).toEqual(c.errors);
    });
  }
});

describe('render', () => {
  it('fills arguments once, like strings.Replacer', () => {
    expect(render('en', { key: 'form.required', args: { label: '{field}', field: 'x' } })).toBe('{field} is required.');
  });
  it('falls back to English, then to the key', () => {
    expect(render('fr', { key: 'form.required', args: { label: 'Name' } })).toBe('Name is required.');
    expect(render('en', { key: 'no.such.key', args: {} })).toBe('no.such.key');
  });
});

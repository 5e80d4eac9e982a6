// jsdom lacks a few browser APIs antd uses.
import { afterEach } from 'vitest';
import { cleanup, configure } from '@testing-library/react';

// The machine is shared: wait generously for debounced searches and popups.
configure({ asyncUtilTimeout: 10000 });

afterEach(() => cleanup());

if (!window.matchMedia) {
  window.matchMedia = (query: string) =>
    ({
      matches: false, media: query, onchange: null,
      addListener() {}, removeListener() {}, addEventListener() {}, removeEventListener() {}, dispatchEvent: () => false,
    }) as unknown as MediaQueryList;
}
class RO {
  observe() {}
  unobserve() {}
  disconnect() {}
}
(globalThis as unknown as { ResizeObserver: typeof RO }).ResizeObserver ??= RO;
window.scrollTo = (() => {}) as typeof window.scrollTo;
if (!window.getComputedStyle) window.getComputedStyle = (() => ({ getPropertyValue: () => '' })) as never;

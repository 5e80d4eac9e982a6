// Stage pipelines as the path bar and the board show them, and how a
// refused move reads. Nothing here knows any particular pipeline: states,
// transitions and the stage field come from the flow's metadata.
import { ApiError } from '../../api/http';
import type { Flow, FlowTransition, TransitionOption } from '../../api/work';

export type StageStatus = 'done' | 'current' | 'todo';

export interface StageView {
  key: string;
  label: Record<string, string>;
  kind: 'open' | 'won' | 'lost';
  color?: string;
  status: StageStatus;
}

/**
 * pathStages lays the flow's states out in their metadata order: the
 * current one, those before it (open states only: a lost state is never
 * "passed") done, the rest to do.
 */
export function pathStages(flow: Flow, current: string | null | undefined): StageView[] {
  const states = flow.states ?? [];
  const at = states.findIndex((s) => s.key === current);
  return states.map((s, i) => ({
    key: s.key,
    label: s.label as Record<string, string>,
    kind: s.kind ?? 'open',
    color: s.color,
    status: i === at ? 'current' : at >= 0 && i < at && (s.kind ?? 'open') === 'open' ? 'done' : 'todo',
  }));
}

/** leaves says whether transition t may start in state from. */
export function leaves(t: FlowTransition, from: string | null | undefined): boolean {
  if (t.from === '*') return t.to !== from;
  return !!from && t.from.includes(from);
}

/** transitionFor is the first transition of the flow from one state to another (the board's drop). */
export function transitionFor(flow: Flow, from: string | null | undefined, to: string): FlowTransition | undefined {
  return (flow.transitions ?? []).find((t) => t.to === to && leaves(t, from));
}

/** optionFor picks, among the record's transition options, the move to state to (an allowed one first). */
export function optionFor(options: TransitionOption[], flow: string, to: string): TransitionOption | undefined {
  const fit = options.filter((o) => o.to === to && (!o.flow || o.flow === flow));
  return fit.find((o) => o.allowed) ?? fit[0];
}

export interface Refusal {
  /** the guard's messages and other refusals, in the user's language */
  messages: string[];
  /** fields the move needs filled first, with the server's message for each */
  fields: Record<string, string>;
}

/**
 * refusalOf reads a refused move: errors on the stage field are the guard's
 * messages; errors on other fields (required to enter, the reason) are
 * fields to fill. Anything else is the problem's detail.
 */
export function refusalOf(e: unknown, stageField: string | undefined): Refusal | undefined {
  if (!(e instanceof ApiError) || (e.status !== 422 && e.status !== 403 && e.status !== 409)) return undefined;
  const messages: string[] = [];
  const fields: Record<string, string> = {};
  for (const fe of e.fieldErrors) {
    if (fe.field === stageField || !fe.field) messages.push(fe.message);
    else fields[fe.field] = fe.message;
  }
  if (!messages.length && !Object.keys(fields).length) messages.push(e.problem.detail || e.message);
  return { messages, fields };
}

/** optionRefusal is what an option the server listed as not allowed says before anyone tries it. */
export function optionRefusal(o: TransitionOption): Refusal | undefined {
  if (o.allowed) return undefined;
  const fields: Record<string, string> = {};
  for (const k of o.missing ?? []) fields[k] = '';
  return { messages: o.reasons ?? [], fields };
}

// An approval instance as the panel and the inbox show it: the steps in
// order with their approvers' tasks and decisions, what the signed-in user
// may do, and how close a due time is.
import type { ApprovalDecisionRow, ApprovalInstance, ApprovalTask, InboxItem } from '../../api/work';

export type DueState = 'overdue' | 'soon' | 'ok';

/** dueState: past due is overdue; within soonHours (default 4) is soon. */
export function dueState(due: string | undefined | null, now: Date, soonHours = 4): DueState | undefined {
  if (!due) return undefined;
  const t = Date.parse(due);
  if (Number.isNaN(t)) return undefined;
  if (t < now.getTime()) return 'overdue';
  return t - now.getTime() <= soonHours * 3600_000 ? 'soon' : 'ok';
}

export type StepStatus = 'approved' | 'rejected' | 'returned' | 'current' | 'waiting' | 'skipped';

export interface StepView {
  key: string;
  label?: Record<string, string>;
  mode?: string; // any 或签 | all 会签
  status: StepStatus;
  /** the tasks of the step's latest round */
  tasks: ApprovalTask[];
  decisions: ApprovalDecisionRow[];
  /** the earliest due time of its pending tasks */
  due?: string;
}

function latestRound(tasks: ApprovalTask[]): ApprovalTask[] {
  const max = Math.max(0, ...tasks.map((t) => t.round ?? 0));
  return tasks.filter((t) => (t.round ?? 0) === max);
}

/**
 * steps lays out the process's steps: the current one (while pending), the
 * decided ones by their latest round, the rest waiting — or skipped when
 * the instance went past them with no task of theirs.
 */
export function steps(inst: ApprovalInstance): StepView[] {
  const all = inst.steps ?? [];
  const cur = all.findIndex((s) => s.key === inst.step);
  return all.map((s, i) => {
    const tasks = latestRound((inst.tasks ?? []).filter((t) => t.step === s.key && t.kind !== 'resubmit'));
    const decisions = (inst.decisions ?? []).filter((d) => d.step === s.key);
    const has = (st: string) => tasks.some((t) => t.status === st);
    let status: StepStatus;
    if (inst.status === 'pending' && s.key === inst.step) status = 'current';
    else if (has('rejected')) status = 'rejected';
    else if (has('returned')) status = 'returned';
    else if (tasks.length && (s.mode === 'all' ? tasks.every((t) => t.status === 'approved' || t.status === 'cancelled') && has('approved') : has('approved'))) status = 'approved';
    else if (!tasks.length && (inst.status === 'approved' || (cur >= 0 && i < cur))) status = 'skipped';
    else status = 'waiting';
    const dues = tasks.filter((t) => t.status === 'pending' && t.due_at).map((t) => t.due_at!).sort();
    return { key: s.key ?? '', label: s.label as Record<string, string> | undefined, mode: s.mode, status, tasks, decisions, due: dues[0] };
  });
}

/** myTask is the signed-in user's pending task on the instance (approve or resubmit). */
export function myTask(inst: ApprovalInstance, user: string | undefined): ApprovalTask | undefined {
  if (!user || inst.status !== 'pending') return undefined;
  return (inst.tasks ?? []).find((t) => t.assignee === user && t.status === 'pending');
}

/** mayWithdraw: the submitter, while pending (the server refuses once the current step was acted on). */
export function mayWithdraw(inst: ApprovalInstance, user: string | undefined): boolean {
  return !!user && inst.status === 'pending' && inst.submitter === user;
}

/** returnTargets are the steps before the current one (and the submitter), where "return" may send it. */
export function returnTargets(inst: ApprovalInstance): { key: string; label?: Record<string, string> }[] {
  const all = inst.steps ?? [];
  const cur = all.findIndex((s) => s.key === inst.step);
  return [{ key: 'submitter' }, ...all.slice(0, Math.max(cur, 0)).map((s) => ({ key: s.key ?? '', label: s.label as Record<string, string> | undefined }))];
}

/** inboxHref is the record page of an inbox item, showing its approval. */
export function inboxHref(i: InboxItem): string {
  return `/${i.app}/${i.module}/${i.record}?approval=${encodeURIComponent(i.instance ?? '')}`;
}

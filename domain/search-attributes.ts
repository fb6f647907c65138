import { type SearchAttributePair, defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { WritebackInput, WritebackState } from './session';

/**
 * Custom search attributes, registered on the dev server by npm run dev and
 * the test harness (and once per namespace in production, see README).
 * The SQLite/PostgreSQL visibility stores allow at most 10 Keyword attributes.
 */
export const TenantIdAttr = defineSearchAttributeKey('TenantId', SearchAttributeType.KEYWORD);
export const TaskIdAttr = defineSearchAttributeKey('TaskId', SearchAttributeType.KEYWORD);
export const FsmProviderAttr = defineSearchAttributeKey('FsmProvider', SearchAttributeType.KEYWORD);
export const FsmJobIdAttr = defineSearchAttributeKey('FsmJobId', SearchAttributeType.KEYWORD);
export const WritebackStateAttr = defineSearchAttributeKey('WritebackState', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES = [TenantIdAttr, TaskIdAttr, FsmProviderAttr, FsmJobIdAttr, WritebackStateAttr];

/** What a task's own workflows (lifecycle, session pipeline) are found by. */
export function taskSearchAttributes(tenantId: string, taskId: string): SearchAttributePair[] {
  return [
    { key: TenantIdAttr, value: tenantId },
    { key: TaskIdAttr, value: taskId },
  ];
}

/** What ops search writebacks by; WritebackState is kept current as the state changes. */
export function writebackSearchAttributes(input: WritebackInput, state: WritebackState): SearchAttributePair[] {
  return [
    ...taskSearchAttributes(input.tenantId, input.taskId),
    { key: FsmProviderAttr, value: input.provider },
    { key: FsmJobIdAttr, value: input.externalJobId },
    { key: WritebackStateAttr, value: state },
  ];
}

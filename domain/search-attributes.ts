import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

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

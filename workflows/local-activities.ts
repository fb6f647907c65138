/**
 * Short writes to our own tables run as local activities (in the worker,
 * inside the workflow task that asks for them); runs recorded before a
 * workflow switched to them keep the regular activities they recorded
 * (patched()). This gives both proxies for one set of options.
 */
import type { ActivityOptions } from '@temporalio/common';
import { type ActivityInterfaceFor, type LocalActivityInterfaceFor, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';

/**
 * A local activity retries inside the worker while the wait before its next
 * try is at most this; a longer wait becomes a timer in the workflow's
 * history. It sits below the retry policies' 1-minute cap: otherwise a long
 * outage would keep one workflow task open, which the worker extends every
 * few seconds with three history events each time.
 */
export const LOCAL_RETRY_THRESHOLD = '10 seconds';

export function localAndRegular<A>(options: ActivityOptions): { local: LocalActivityInterfaceFor<A>; regular: ActivityInterfaceFor<A> } {
  const { startToCloseTimeout, retry } = options;
  return {
    local: proxyLocalActivities<A>({ startToCloseTimeout, retry, localRetryThreshold: LOCAL_RETRY_THRESHOLD }),
    regular: proxyActivities<A>(options),
  };
}

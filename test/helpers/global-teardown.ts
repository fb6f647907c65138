import { rmSync } from 'node:fs';
import type { RunningDevServer } from '../../scripts/temporal-server';

export default async function globalTeardown(): Promise<void> {
  const shared = (
    globalThis as { __taskhub?: { temporal: RunningDevServer; db: { stop?: () => Promise<void> }; dropDatabase: () => Promise<void> } }
  ).__taskhub;
  await shared?.temporal.stop();
  await shared?.dropDatabase();
  await shared?.db.stop?.();
  if (process.env.TEST_TMP_DIR) rmSync(process.env.TEST_TMP_DIR, { recursive: true, force: true });
}

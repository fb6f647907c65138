/**
 * No lost job note when the worker process dies (SIGKILL) while its note
 * request is at the FSM and before the FSM applied it: Temporal retries the
 * post on a new worker once the attempt times out, the retry finds no note
 * on the job, and posts it: two requests, one note.
 *
 * One FSM (ServiceM8) suffices: what makes a retry safe is provider-blind
 * (activities/writeback-activities.ts: the row, then the marker search, then
 * the post); the one provider-specific piece, each connector's findJobNotes,
 * is covered per FSM by the writeback suites. A dead process differs from a
 * failed request only in how the retry comes: through the activity's
 * timeout instead of an error, which is what this suite covers.
 */
import { SETTLE_MS, type WorkerKillWorld, startWorkerKillWorld } from './worker-kill';
import { writebackRow } from './fixture';

let w: WorkerKillWorld;
beforeAll(async () => {
  w = await startWorkerKillWorld();
});
afterAll(() => w.stop());

test(
  'killed while the note request is at the FSM, before it was applied: a new worker posts it, once',
  async () => {
    const { job, sessionId } = await w.killMidPost('before');
    // The FSM never applied it, and nothing recorded a post.
    expect(w.fake.notesOn(job.jobUuid)).toEqual([]);
    expect(await writebackRow(w.h, sessionId)).toMatchObject({ state: 'pending', fsmNoteId: null });

    await w.worker();
    await w.expectOneNote(job, sessionId);
    // The retry found no note on the job, so it posted again.
    expect(w.notePosts(job)).toHaveLength(2);
  },
  2 * SETTLE_MS,
);

/**
 * No duplicate job note when the worker process dies (SIGKILL) after the
 * FSM applied its note but before the answer came back: Temporal retries
 * the post on a new worker once the attempt times out, the retry finds the
 * note on the job by its marker, records it, and posts nothing: one request,
 * one note. (Why one FSM suffices: worker-killed-before-apply.test.ts.)
 */
import { SETTLE_MS, type WorkerKillWorld, startWorkerKillWorld } from './worker-kill';
import { writebackRow } from './fixture';

let w: WorkerKillWorld;
beforeAll(async () => {
  w = await startWorkerKillWorld();
});
afterAll(() => w.stop());

test(
  'killed after the FSM applied the note, its answer lost: the retry finds the note and posts nothing',
  async () => {
    const { job, sessionId } = await w.killMidPost('after');
    // The note is on the job; nothing here has heard so.
    expect(w.fake.notesOn(job.jobUuid)).toHaveLength(1);
    expect(await writebackRow(w.h, sessionId)).toMatchObject({ state: 'pending', fsmNoteId: null });

    await w.worker();
    await w.expectOneNote(job, sessionId);
    expect(w.notePosts(job)).toHaveLength(1);
  },
  2 * SETTLE_MS,
);

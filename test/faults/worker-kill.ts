/**
 * The world of the worker-kill suites: a fake ServiceM8 whose note requests
 * can be held, the harness without its in-process worker, and workers run as
 * child processes (test/helpers/worker-child.ts) that a test SIGKILLs while
 * a note request is held. Each case is its own file, so jest runs them side
 * by side: each waits out the post's attempt timeout once.
 */
import type { FastifyRequest } from 'fastify';
import { jobNoteMarker } from '../../connectors/job-note';
import { writebackWorkflowId } from '../../domain/ids';
import { SERVICEM8_API_PREFIX, FakeServiceM8 } from '../fakes/servicem8';
import { type Harness, eventually, startHarness } from '../helpers/harness';
import { type WorkerChild, spawnWorkerChild } from '../helpers/worker-child';
import { type JobTask, completedSession, jobTask, servicem8Config, writebackRow } from './fixture';

/**
 * WRITEBACK_ATTEMPT_TIMEOUT_SECONDS of the worker processes: the post's
 * heartbeat timeout is at most this, so it is how long a dead worker costs.
 */
const ATTEMPT_TIMEOUT_SECONDS = 5;
/** A dead worker noticed, the retry run, on a loaded machine. */
export const SETTLE_MS = ATTEMPT_TIMEOUT_SECONDS * 1000 + 120_000;

type When = 'before' | 'after';

/**
 * Holds the next note POST until its client goes away: `before` the fake
 * applies it (it then never does), or `after` (the note is stored, the
 * answer never sent). `held` resolves while it is held; `gone` once the
 * client's connection closed.
 */
function noteGate(fsm: FakeServiceM8) {
  let armed: { when: When; held: () => void; gone: () => void } | null = null;
  const isNotePost = (req: FastifyRequest) => req.method === 'POST' && req.url.startsWith(`${SERVICEM8_API_PREFIX}/note.json`);
  async function hold(req: FastifyRequest, when: When): Promise<boolean> {
    if (!armed || armed.when !== when || !isNotePost(req)) return false;
    const { held, gone } = armed;
    armed = null;
    held();
    const socket = req.raw.socket;
    if (!socket.destroyed) await new Promise((resolve) => socket.once('close', resolve));
    gone();
    return true;
  }
  // After the fake's own hooks (auth, spec checks): a held request is one ServiceM8 would accept.
  fsm.app.addHook('preHandler', async (req) => {
    if (await hold(req, 'before')) throw new Error('the client went away before the note was applied');
  });
  fsm.app.addHook('onSend', async (req, reply, payload) => {
    if (reply.statusCode === 200) await hold(req, 'after');
    return payload;
  });
  return (when: When) => {
    let held!: () => void;
    let gone!: () => void;
    const promises = { held: new Promise<void>((r) => (held = r)), gone: new Promise<void>((r) => (gone = r)) };
    armed = { when, held, gone };
    return promises;
  };
}

export interface WorkerKillWorld {
  h: Harness;
  fake: FakeServiceM8;
  /** Starts a worker process on the suite's queue. */
  worker(): Promise<WorkerChild>;
  /**
   * With a worker running, completes a session on a new job's task, and
   * SIGKILLs the worker while its note request is held (`when`); resolves
   * once the fake has seen the connection go.
   */
  killMidPost(when: When): Promise<{ job: JobTask; sessionId: string }>;
  /** Waits for the writeback to end posted, and checks the job holds exactly that one note. */
  expectOneNote(job: JobTask, sessionId: string): Promise<void>;
  /** The note requests the fake received for the job. */
  notePosts(job: JobTask): unknown[];
  /** Stops the running workers gracefully (after each test). */
  stopWorkers(): Promise<void>;
  stop(): Promise<void>;
}

export async function startWorkerKillWorld(): Promise<WorkerKillWorld> {
  const fake = new FakeServiceM8();
  const arm = noteGate(fake);
  const { fsm, env } = servicem8Config(fake, await fake.start());
  const h = await startHarness({ fsm });
  // Only the child processes work this suite's queue.
  await h.stopWorker();
  const workerEnv = { ...env, BLOB_DIR: h.config.blobDir, WRITEBACK_ATTEMPT_TIMEOUT_SECONDS: String(ATTEMPT_TIMEOUT_SECONDS) };
  const children: WorkerChild[] = [];

  const world: WorkerKillWorld = {
    h,
    fake,
    async worker() {
      const child = await spawnWorkerChild({ taskQueue: h.taskQueue, extraEnv: workerEnv });
      children.push(child);
      return child;
    },
    async killMidPost(when) {
      const first = await world.worker();
      const job = await jobTask(h, fake);
      const { held, gone } = arm(when);
      const sessionId = await completedSession(h, job);
      await held;
      await first.kill();
      await gone;
      return { job, sessionId };
    },
    async expectOneNote(job, sessionId) {
      const row = await eventually(async () => {
        const r = await writebackRow(h, sessionId);
        return r?.state === 'posted' ? r : null;
      }, SETTLE_MS);
      const notes = fake.notesOn(job.jobUuid);
      expect(notes).toHaveLength(1);
      expect(notes[0]!.note).toContain(jobNoteMarker(sessionId));
      expect(row.fsmNoteId).toBe(notes[0]!.uuid);
      const result = await h.client.workflow.getHandle(writebackWorkflowId(sessionId, job.integrationId)).result();
      expect(result).toEqual({ state: 'posted', fsmNoteId: notes[0]!.uuid, reason: null });
    },
    notePosts(job) {
      return fake.requests.filter((r) => r.method === 'POST' && (r.body as { related_object_uuid?: string } | undefined)?.related_object_uuid === job.jobUuid);
    },
    async stopWorkers() {
      await Promise.all(children.splice(0).map((c) => c.stop()));
    },
    async stop() {
      await world.stopWorkers();
      await h.stop();
      await fake.stop();
      expect(fake.violations).toEqual([]);
    },
  };
  return world;
}

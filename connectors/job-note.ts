/**
 * The job note a completed training session leaves on its FSM job, in the
 * format of the product page (seeds/002):
 *
 *   ✅ Training completed via TrainAR
 *   Session: <session id>
 *   Score: <0–100>%
 *   Duration: <minutes>
 *   Video: <signed recording URL>
 *   Completed by: <name> (<email>)
 *   Notes: <completion notes>
 *   Completed: <ISO timestamp>
 *
 * A line whose data is missing is dropped. The Session line doubles as the
 * note's marker: the session id is unique, so finding that line on a job's
 * notes proves the note was posted (exactly-once writeback). Pure: no I/O.
 */

export const JOB_NOTE_TITLE = '✅ Training completed via TrainAR';

export interface JobNoteData {
  sessionId: string;
  /** 0–100. */
  score: number | null;
  /** What the device reported; when absent, the time between start and end is used. */
  durationSeconds: number | null;
  startedAt: Date | null;
  endedAt: Date | null;
  /** A signed URL of the recording, when there is one. */
  videoUrl: string | null;
  engineer: { name: string; email: string } | null;
  notes: string | null;
}

/** The line that identifies the session's note on a job (findJobNotes looks for it). */
export function jobNoteMarker(sessionId: string): string {
  return `Session: ${sessionId}`;
}

/**
 * Whole minutes, rounded to the nearest (half up); a session that lasted
 * anything under a minute shows 1, not 0.
 */
export function durationMinutes(data: Pick<JobNoteData, 'durationSeconds' | 'startedAt' | 'endedAt'>): number | null {
  const seconds =
    data.durationSeconds ?? (data.startedAt && data.endedAt ? Math.max(0, (data.endedAt.getTime() - data.startedAt.getTime()) / 1000) : null);
  if (seconds === null) return null;
  return seconds > 0 ? Math.max(1, Math.round(seconds / 60)) : 0;
}

const present = (text: string | null | undefined): text is string => typeof text === 'string' && text.trim() !== '';

export function formatJobNote(data: JobNoteData): string {
  const minutes = durationMinutes(data);
  const lines: (string | null)[] = [
    JOB_NOTE_TITLE,
    jobNoteMarker(data.sessionId),
    data.score === null ? null : `Score: ${data.score}%`,
    minutes === null ? null : `Duration: ${minutes} ${minutes === 1 ? 'minute' : 'minutes'}`,
    present(data.videoUrl) ? `Video: ${data.videoUrl}` : null,
    data.engineer ? `Completed by: ${data.engineer.name} (${data.engineer.email})` : null,
    present(data.notes) ? `Notes: ${data.notes.trim()}` : null,
    data.endedAt ? `Completed: ${data.endedAt.toISOString()}` : null,
  ];
  return lines.filter((line): line is string => line !== null).join('\n');
}

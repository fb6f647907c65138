/**
 * The default AI provider: deterministic, no network, so a tenant without an
 * AI contract still gets procedures and a summary, and tests can state the
 * exact output.
 *
 * - Procedures: the lines of the transcript, then of the notes, that read
 *   like steps (numbered "1." / "2)", "Step 3:", bullets, or starting with
 *   First / Then / Next / Now / Finally / After that), in order, as one
 *   procedure named after the task, with the tools used. No such lines, no
 *   procedure: nothing is invented.
 * - Summary: one sentence from the task title, steps completed, duration and
 *   score, then the tools and the notes; a missing field drops its part.
 */
import type { AiProvider, AiSessionInput, Procedure } from './types';

const NUMBER = '(?:\\d+|one|two|three|four|five|six|seven|eight|nine|ten)';
const MARKED_STEP = new RegExp(`^(?:step\\s*${NUMBER}\\s*[:.),-]?|\\d+[.)]|[-*•])\\s+(.+)$`, 'i');
const SEQUENCE_WORD = /^(?:first|then|next|now|finally|after that)\b[\s,:-]*(.+)$/i;

/** The step a line describes, or null when it does not read like one. */
function stepOf(line: string): string | null {
  const text = line.trim();
  const marked = MARKED_STEP.exec(text)?.[1] ?? SEQUENCE_WORD.exec(text)?.[1];
  if (!marked) return null;
  const step = marked.trim();
  return step.charAt(0).toUpperCase() + step.slice(1);
}

function stepsIn(text: string | null): string[] {
  return (text ?? '').split(/\r?\n/).flatMap((line) => stepOf(line) ?? []);
}

/** Trimmed, non-empty, first occurrence kept. */
function tools(session: AiSessionInput): string[] {
  return [...new Set(session.toolsUsed.map((t) => t.trim()).filter(Boolean))];
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function duration(seconds: number): string {
  const minutes = Math.round(seconds / 60);
  return minutes === 0 ? 'under a minute' : plural(minutes, 'minute');
}

function headline(session: AiSessionInput): string {
  const done = session.stepsCompleted === null ? 'completed the session' : `completed ${plural(session.stepsCompleted, 'step')}`;
  const time = session.durationSeconds === null ? '' : ` in ${duration(session.durationSeconds)}`;
  const score = session.score === null ? '' : ` with a score of ${session.score}%`;
  return `${session.taskTitle.trim()}: ${done}${time}${score}.`;
}

export function createBuiltinProvider(): AiProvider {
  return {
    async extractProcedures(session) {
      const steps = [...stepsIn(session.transcript), ...stepsIn(session.notes)];
      if (steps.length === 0) return [];
      const procedure: Procedure = { title: session.taskTitle.trim(), steps, tools: tools(session) };
      return [procedure];
    },

    async summarise(session) {
      const used = tools(session);
      const notes = session.notes?.replace(/\s+/g, ' ').trim();
      return [headline(session), used.length ? `Tools: ${used.join(', ')}.` : '', notes ? `Notes: ${notes}` : ''].filter(Boolean).join(' ');
    },
  };
}

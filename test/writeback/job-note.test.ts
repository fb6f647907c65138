/** The job note's text (connectors/job-note.ts): seed 002's lines in order, missing data dropped, minutes rounded. */
import { type JobNoteData, durationMinutes, formatJobNote, jobNoteMarker } from '../../connectors/job-note';

const ended = new Date('2026-05-18T09:05:00.000Z');
const full: JobNoteData = {
  sessionId: '0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e',
  score: 87,
  durationSeconds: 1860,
  startedAt: new Date('2026-05-18T08:30:00.000Z'),
  endedAt: ended,
  videoUrl: 'https://api.example.test/v1/recordings/0b1c?t=a&exp=1&sig=b',
  engineer: { name: 'Ada Engineer', email: 'ada@example.test' },
  notes: 'Replaced the fuse.',
};

test('every line of the seed, in its order, when the session has all its data', () => {
  expect(formatJobNote(full).split('\n')).toEqual([
    '✅ Training completed via TrainAR',
    'Session: 0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e',
    'Score: 87%',
    'Duration: 31 minutes',
    'Video: https://api.example.test/v1/recordings/0b1c?t=a&exp=1&sig=b',
    'Completed by: Ada Engineer (ada@example.test)',
    'Notes: Replaced the fuse.',
    'Completed: 2026-05-18T09:05:00.000Z',
  ]);
});

test('a line whose data is missing is dropped; a score of 0 is data', () => {
  const bare: JobNoteData = { ...full, score: 0, durationSeconds: null, startedAt: null, videoUrl: null, engineer: null, notes: ' \n ' };
  expect(formatJobNote(bare).split('\n')).toEqual([
    '✅ Training completed via TrainAR',
    'Session: 0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e',
    'Score: 0%',
    'Completed: 2026-05-18T09:05:00.000Z',
  ]);
  expect(formatJobNote({ ...bare, score: null, endedAt: null })).toBe('✅ Training completed via TrainAR\nSession: 0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e');
});

test('the Session line is the marker', () => {
  expect(formatJobNote(full).split('\n')).toContain(jobNoteMarker(full.sessionId));
});

test.each([
  [0, 0],
  [20, 1],
  [89, 1],
  [90, 2],
  [1860, 31],
])('%i seconds reported → %i minutes (nearest, at least 1 for any time spent)', (seconds, minutes) => {
  expect(durationMinutes({ durationSeconds: seconds, startedAt: null, endedAt: null })).toBe(minutes);
});

test('without a reported duration, the time from start to end; without either, none', () => {
  expect(durationMinutes({ durationSeconds: null, startedAt: new Date(ended.getTime() - 10 * 60_000 - 25_000), endedAt: ended })).toBe(10);
  expect(durationMinutes({ durationSeconds: null, startedAt: null, endedAt: ended })).toBeNull();
  expect(formatJobNote({ ...full, durationSeconds: 60 })).toContain('\nDuration: 1 minute\n');
});

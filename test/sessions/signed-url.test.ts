/**
 * The signed recording link on its own (blob/signed-url.ts), and the Range
 * header the recordings route accepts. Pure functions: no harness.
 */
import { parseRange } from '../../api/routes/recordings';
import { recordingUrlSettings, signRecordingUrl, verifyRecordingSignature } from '../../blob/signed-url';
import { loadConfig } from '../../config';

const KEY = 'unit-test-recording-url-key-0123456789';
const settings = { publicUrl: 'https://hub.example.test/', key: KEY, ttlSeconds: 600 };
const ref = { tenantId: '11111111-1111-4111-8111-111111111111', sessionId: '22222222-2222-4222-8222-222222222222' };
const NOW = Date.UTC(2030, 0, 1, 12, 0, 0);

function parts(url: string) {
  const u = new URL(url);
  return { ...ref, sessionId: u.pathname.split('/').pop()!, tenantId: u.searchParams.get('t')!, exp: Number(u.searchParams.get('exp')), sig: u.searchParams.get('sig')! };
}

describe('signRecordingUrl / verifyRecordingSignature', () => {
  const url = signRecordingUrl(settings, ref, NOW);
  const signed = parts(url);

  test('an absolute link on the public URL, expiring ttlSeconds from now', () => {
    expect(url).toMatch(new RegExp(`^https://hub\\.example\\.test/v1/recordings/${ref.sessionId}\\?t=${ref.tenantId}&exp=\\d+&sig=[\\w-]{43}$`));
    expect(signed.exp).toBe(NOW / 1000 + 600);
    expect(verifyRecordingSignature(KEY, signed, NOW)).toBe('ok');
  });

  test('expired at exp, not before', () => {
    expect(verifyRecordingSignature(KEY, signed, signed.exp * 1000 - 1)).toBe('ok');
    expect(verifyRecordingSignature(KEY, signed, signed.exp * 1000)).toBe('expired');
  });

  test.each([
    ['another tenant', { tenantId: '33333333-3333-4333-8333-333333333333' }],
    ['another session', { sessionId: '44444444-4444-4444-8444-444444444444' }],
    ['a later expiry', { exp: NOW / 1000 + 60_000 }],
    ['one character of the signature changed', { sig: `${signed.sig.slice(0, -1)}${signed.sig.endsWith('A') ? 'B' : 'A'}` }],
    ['a stray character after the signature', { sig: `${signed.sig}!` }],
    ['a truncated signature', { sig: signed.sig.slice(0, 20) }],
    ['an empty signature', { sig: '' }],
  ])('%s: a bad signature, even past the expiry', (_what, change) => {
    expect(verifyRecordingSignature(KEY, { ...signed, ...change }, NOW)).toBe('bad_signature');
    expect(verifyRecordingSignature(KEY, { ...signed, ...change }, NOW + 10 ** 9)).toBe('bad_signature');
  });

  test('another key is a bad signature', () => {
    expect(verifyRecordingSignature(`${KEY}x`, signed, NOW)).toBe('bad_signature');
  });

  test('the settings come from PUBLIC_URL, RECORDING_URL_KEY and RECORDING_URL_TTL_SECONDS', () => {
    const config = loadConfig({ NODE_ENV: 'test', PUBLIC_URL: 'https://api.example.test', RECORDING_URL_KEY: KEY, RECORDING_URL_TTL_SECONDS: '90' });
    expect(recordingUrlSettings(config)).toEqual({ publicUrl: 'https://api.example.test', key: KEY, ttlSeconds: 90 });
  });
});

describe('parseRange', () => {
  test.each<[string | undefined, ReturnType<typeof parseRange>]>([
    ['bytes=0-9', { start: 0, end: 9 }],
    ['bytes=90-', { start: 90, end: 99 }],
    ['bytes=-5', { start: 95, end: 99 }],
    ['bytes=-500', { start: 0, end: 99 }],
    ['bytes=50-5000', { start: 50, end: 99 }],
    ['bytes=100-', 'unsatisfiable'],
    ['bytes=-0', 'unsatisfiable'],
    [undefined, null],
    ['bytes=9-0', null],
    ['bytes=0-1,4-5', null],
    ['items=0-9', null],
    ['bytes=-', null],
    ['bytes=a-b', null],
  ])('%j of 100 bytes → %j', (header, expected) => {
    expect(parseRange(header, 100)).toEqual(expected);
  });
});

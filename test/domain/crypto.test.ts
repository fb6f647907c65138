import { randomBytes } from 'node:crypto';
import { CredentialCipher } from '../../db/crypto';

const cipher = new CredentialCipher(randomBytes(32).toString('base64'));

test('round-trips, with a fresh IV each time', () => {
  const a = cipher.encrypt('refresh-token-123', 'integration-1');
  const b = cipher.encrypt('refresh-token-123', 'integration-1');
  expect(a).not.toBe(b);
  expect(a).not.toContain('refresh-token-123');
  expect(cipher.decrypt(a, 'integration-1')).toBe('refresh-token-123');
});

test('a tampered ciphertext, another row, or another key fails to decrypt', () => {
  const stored = cipher.encrypt('secret', 'integration-1');
  const parts = stored.split('.');
  const flipped = Buffer.from(parts[3]!, 'base64url');
  flipped[0]! ^= 1;
  expect(() => cipher.decrypt([parts[0], parts[1], parts[2], flipped.toString('base64url')].join('.'), 'integration-1')).toThrow();
  expect(() => cipher.decrypt(stored, 'integration-2')).toThrow();
  expect(() => new CredentialCipher(randomBytes(32).toString('base64')).decrypt(stored, 'integration-1')).toThrow();
});

test('refuses a key that is not 32 bytes', () => {
  expect(() => new CredentialCipher(randomBytes(16).toString('base64'))).toThrow('32 bytes');
});

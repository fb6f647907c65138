import type { Readable } from 'node:stream';

export interface StoredBlob {
  key: string;
  sizeBytes: number;
  sha256: string;
}

/** Where file bytes live. Keys are paths like `tenants/<id>/tasks/<id>/attachments/<id>`. */
export interface BlobStore {
  /** Streams `body` to `key`; a stream that errors leaves nothing behind. */
  put(key: string, body: Readable): Promise<StoredBlob>;
  get(key: string): Promise<Readable | null>;
  /** Bytes `start` to `end` (inclusive) of `key`: a video player's Range request. */
  getRange(key: string, start: number, end: number): Promise<Readable | null>;
  delete(key: string): Promise<void>;
  /** Removes every blob under the prefix; idempotent. */
  deletePrefix(prefix: string): Promise<void>;
}

export const taskBlobPrefix = (tenantId: string, taskId: string): string => `tenants/${tenantId}/tasks/${taskId}/`;

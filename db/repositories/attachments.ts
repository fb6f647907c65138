import type { Db } from '../sql';

export interface Attachment {
  id: string;
  taskId: string;
  filename: string;
  contentType: string;
  sizeBytes: number;
  sha256: string;
  blobKey: string;
  createdAt: Date;
}

export type NewAttachment = Omit<Attachment, 'createdAt' | 'taskId'> & { createdBy: string | null };

export async function insertAttachments(db: Db, tenantId: string, taskId: string, rows: NewAttachment[]): Promise<Attachment[]> {
  if (rows.length === 0) return [];
  return db<Attachment[]>`
    INSERT INTO attachments ${db(rows.map((r) => ({ ...r, tenantId, taskId })))}
    RETURNING id, task_id, filename, content_type, size_bytes::int, sha256, blob_key, created_at`;
}

export async function listAttachments(db: Db, tenantId: string, taskId: string): Promise<Attachment[]> {
  return db<Attachment[]>`
    SELECT id, task_id, filename, content_type, size_bytes::int, sha256, blob_key, created_at FROM attachments
    WHERE tenant_id = ${tenantId} AND task_id = ${taskId} ORDER BY created_at, id`;
}

export async function getAttachment(db: Db, tenantId: string, taskId: string, id: string): Promise<Attachment | null> {
  const [row] = await db<Attachment[]>`
    SELECT id, task_id, filename, content_type, size_bytes::int, sha256, blob_key, created_at FROM attachments
    WHERE tenant_id = ${tenantId} AND task_id = ${taskId} AND id = ${id}`;
  return row ?? null;
}

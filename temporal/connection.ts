import { readFile } from 'node:fs/promises';
import { Client, Connection } from '@temporalio/client';
import type { TLSConfig } from '@temporalio/common/lib/internal-non-workflow';
import { NativeConnection } from '@temporalio/worker';
import type { TemporalConfig } from '../config';

/** TLS / API-key options shared by the client and the worker connection (Temporal Cloud or any cluster). */
async function connectionOptions(cfg: TemporalConfig): Promise<{ address: string; tls?: TLSConfig | boolean; apiKey?: string }> {
  let tls: TLSConfig | boolean | undefined = cfg.tls || undefined;
  if (cfg.clientCertPath && cfg.clientKeyPath) {
    tls = { clientCertPair: { crt: await readFile(cfg.clientCertPath), key: await readFile(cfg.clientKeyPath) } };
  }
  return { address: cfg.address, tls, ...(cfg.apiKey ? { apiKey: cfg.apiKey } : {}) };
}

export async function connectClient(cfg: TemporalConfig): Promise<Client> {
  const connection = await Connection.connect(await connectionOptions(cfg));
  return new Client({ connection, namespace: cfg.namespace });
}

export async function connectWorkerConnection(cfg: TemporalConfig): Promise<NativeConnection> {
  return NativeConnection.connect(await connectionOptions(cfg));
}

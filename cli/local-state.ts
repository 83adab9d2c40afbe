import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../dev/local/aws';
import { ensureStateTable } from '../dev/local/state-table';
import { StateStore } from '../lambdas/shared/state-store';
import { UsageError } from './exit-codes';

export const LOCAL_STATE_TABLE = 'op-events-state';

export interface LocalState {
  readonly store: StateStore;
  readonly documents: DynamoDBDocumentClient;
  close(): Promise<void>;
}

/**
 * The state table of a local archive: dynalite (DynamoDB's protocol) keeping its data in
 * `<dir>/.state`, so a second `collect` goes on from the cursors of the first, with the
 * collector's own conditional-write protocol. A lock file keeps a second process out:
 * the on-disk store takes one process at a time.
 */
export async function openLocalState(dir: string): Promise<LocalState> {
  await mkdir(dir, { recursive: true });
  const releaseLock = await lock(join(dir, '.state.lock'));
  const server = dynalite({
    path: join(dir, '.state'),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
  } catch (error) {
    await releaseLock();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  const close = async () => {
    client.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await releaseLock();
  };
  try {
    await ensureStateTable(client, LOCAL_STATE_TABLE);
  } catch (error) {
    await close();
    throw error;
  }
  const documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return { store: new StateStore(documents, LOCAL_STATE_TABLE), documents, close };
}

async function lock(path: string): Promise<() => Promise<void>> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => unlink(path).catch(() => undefined);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(holder) && holder > 0 && isRunning(holder)) {
        throw new UsageError(
          `another collect (process ${holder}) is using ${path.replace(/\.state\.lock$/, '')}; wait for it to finish`,
        );
      }
      // Left by a process that died: take it over.
      await unlink(path).catch(() => undefined);
    }
  }
  throw new UsageError(`cannot lock ${path}; remove it if no collect is running`);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

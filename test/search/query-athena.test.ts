/**
 * `query --athena` with a stubbed Athena client (Athena has no local server): the query is the
 * saved query's Athena text, the result pages are read to the end and printed in the same
 * formats as a local query.
 */
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { parseQueryArgs, queryCommand, UsageError } from '../../cli/commands/query';
import { AthenaQueryError, runOnAthena } from '../../search/athena-runner';
import { athena } from '../../search/dialect';
import { findQuery, renderQuery } from '../../search/queries';

class Buffered {
  text = '';
  write(chunk: string) {
    this.text += chunk;
    return true;
  }
}

const athenaMock = mockClient(AthenaClient);
afterEach(() => athenaMock.reset());
afterAll(() => athenaMock.restore());

const COLUMNS = [
  { Name: 'item', Type: 'varchar' },
  { Name: 'uses', Type: 'bigint' },
  { Name: 'last_used', Type: 'timestamp' },
];
const cells = (...values: Array<string | undefined>) => ({
  Data: values.map((value) => (value === undefined ? {} : { VarCharValue: value })),
});

function stubSucceeded() {
  athenaMock.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
  athenaMock
    .on(GetQueryExecutionCommand)
    .resolvesOnce({ QueryExecution: { Status: { State: 'RUNNING' } } })
    .resolves({
      QueryExecution: { Status: { State: 'SUCCEEDED' }, Statistics: { DataScannedInBytes: 3 * 1024 * 1024 } },
    });
  athenaMock
    .on(GetQueryResultsCommand, { QueryExecutionId: 'q-1', NextToken: undefined })
    .resolves({
      ResultSet: {
        ResultSetMetadata: { ColumnInfo: COLUMNS },
        Rows: [cells('item', 'uses', 'last_used'), cells('AWS root', '12', '2026-11-20 08:15:02.123')],
      },
      NextToken: 'page-2',
    })
    .on(GetQueryResultsCommand, { QueryExecutionId: 'q-1', NextToken: 'page-2' })
    .resolves({
      ResultSet: { ResultSetMetadata: { ColumnInfo: COLUMNS }, Rows: [cells('GitHub', '3', undefined)] },
    });
}

async function query(args: string[], env: NodeJS.ProcessEnv = {}) {
  const io = { stdout: new Buffered(), stderr: new Buffered() };
  const status = await queryCommand(parseQueryArgs(args, env), io);
  return { status, stdout: io.stdout.text, stderr: io.stderr.text };
}

describe('query --athena', () => {
  it('runs the saved query on the workgroup and prints every page of the result', async () => {
    stubSucceeded();
    const { status, stdout, stderr } = await query(
      ['top-items', '--athena', '--param', 'days=7', '--format', 'json', '--region', 'eu-west-1'],
      { ATHENA_WORKGROUP: 'acme_op_events' },
    );

    expect(status).toBe(0);
    const saved = findQuery('top-items');
    if (!saved) throw new Error('top-items is a saved query');
    expect(athenaMock.commandCalls(StartQueryExecutionCommand)[0]?.args[0].input).toEqual({
      WorkGroup: 'acme_op_events',
      QueryString: renderQuery(saved, athena, { days: '7' }),
      QueryExecutionContext: { Database: 'acme_op_events' },
    });
    // Numbers and times read back as the local engine gives them.
    expect(JSON.parse(stdout)).toEqual([
      { item: 'AWS root', uses: 12, last_used: '2026-11-20T08:15:02.123Z' },
      { item: 'GitHub', uses: 3, last_used: null },
    ]);
    expect(stderr).toContain('Athena query q-1 in workgroup acme_op_events...');
    expect(stderr).toContain('3.0 MiB scanned');
  });

  it('prints Athena’s reason when the query fails, with status 1', async () => {
    athenaMock.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-2' });
    athenaMock.on(GetQueryExecutionCommand).resolves({
      QueryExecution: {
        Status: {
          State: 'FAILED',
          StateChangeReason: "TABLE_NOT_FOUND: line 3:8: Table 'x.auditevents' does not exist",
        },
      },
    });
    const { status, stderr } = await query([
      '--athena',
      '--workgroup',
      'wg',
      '--database',
      'x',
      '--sql',
      'SELECT 1',
    ]);
    expect(status).toBe(1);
    expect(stderr).toMatch(/Athena query q-2 failed: TABLE_NOT_FOUND/);
    expect(athenaMock.commandCalls(GetQueryResultsCommand)).toHaveLength(0);
  });

  it('says what it needs and what does not go with it', () => {
    expect(() => parseQueryArgs(['top-items', '--athena'], {})).toThrow(/--athena needs --workgroup NAME/);
    expect(() => parseQueryArgs(['top-items', '--athena', '--print'], { ATHENA_WORKGROUP: 'wg' })).toThrow(
      UsageError,
    );
    expect(() => parseQueryArgs(['top-items', '--workgroup', 'wg'], {})).toThrow(/apply with --athena/);
  });

  it('gives up waiting at its deadline and says how to follow the query', async () => {
    athenaMock.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-3' });
    athenaMock.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'QUEUED' } } });
    let clock = 0;
    const waits: number[] = [];
    const run = runOnAthena(new AthenaClient({ region: 'eu-west-1' }), {
      workGroup: 'wg',
      database: 'db',
      sql: 'SELECT 1',
      timeoutMs: 20_000,
      now: () => clock,
      sleep: async (ms) => {
        waits.push(ms);
        clock += ms;
      },
    });
    await expect(run).rejects.toThrow(AthenaQueryError);
    await expect(run).rejects.toThrow(
      /still QUEUED after 20 s.*get-query-execution --query-execution-id q-3/,
    );
    // Backs off, never past 5 s between polls.
    expect(waits).toEqual([1_000, 2_000, 4_000, 5_000, 5_000, 5_000]);
  });
});

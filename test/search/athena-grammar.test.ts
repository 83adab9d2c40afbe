/**
 * The Athena side of search, checked as far as it can be without AWS: every view and saved
 * query, rendered in the Athena dialect, is parsed by dt-sql-parser's Trino grammar (an ANTLR4
 * grammar derived from Trino's own SqlBase.g4), and every function it calls must be one of
 * Trino's. What no parser can check (column types, whether Athena's Trino release has a
 * function, what a function returns on odd input) is listed in README §Search.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TrinoSQL } from 'dt-sql-parser';
import { athena, duckdb } from '../../search/dialect';
import { renderQuery, SAVED_QUERIES } from '../../search/queries';
import { renderView, VIEWS } from '../../search/views';

const TRINO_FUNCTIONS = new Set(
  readFileSync(join(__dirname, 'fixtures', 'trino-functions.txt'), 'utf8')
    .split('\n')
    .filter((line) => !line.startsWith('#'))
    .flatMap((line) => line.split(/\s+/))
    .filter(Boolean),
);

const parser = new TrinoSQL();

interface ParseTreeNode {
  readonly constructor: { readonly name: string };
  readonly children?: readonly ParseTreeNode[] | null;
  functionName?: () => { getText(): string };
}

/** The syntax errors of `sql`, and the names of the functions it calls. */
function analyse(sql: string): { errors: string[]; functions: string[] } {
  const errors = parser.validate(sql).map((error) => `line ${error.startLine}: ${error.message}`);
  const functions = new Set<string>();
  const walk = (node: ParseTreeNode | null | undefined) => {
    if (!node) return;
    if (node.constructor.name === 'FunctionCallContext' && node.functionName) {
      functions.add(node.functionName().getText().toLowerCase());
    }
    for (const child of node.children ?? []) walk(child);
  };
  // The errors were collected above; a listener keeps the parser from printing them.
  walk(parser.parse(sql, () => undefined) as unknown as ParseTreeNode);
  return { errors, functions: [...functions].sort() };
}

const statements = [
  ...VIEWS.map((view) => ({ name: `view ${view.name}`, sql: renderView(view, athena) })),
  ...SAVED_QUERIES.map((query) => ({ name: `saved query ${query.id}`, sql: renderQuery(query, athena) })),
];

describe('the Athena text of every view and saved query', () => {
  it.each(statements)('$name parses as Trino SQL and calls only Trino functions', ({ sql }) => {
    const { errors, functions } = analyse(sql);
    expect(errors).toEqual([]);
    expect(functions.length).toBeGreaterThan(0);
    expect(functions.filter((name) => !TRINO_FUNCTIONS.has(name))).toEqual([]);
  });

  it('would catch DuckDB syntax and DuckDB functions', () => {
    expect(analyse('SELECT x FROM t QUALIFY row_number() OVER () = 1').errors).not.toEqual([]);
    expect(analyse("SELECT '2026-01-01'::date").errors).not.toEqual([]);
    // The DuckDB rendering parses (function calls look alike) but calls functions Trino lacks.
    const duck = SAVED_QUERIES.flatMap((query) => analyse(renderQuery(query, duckdb())).functions);
    expect(duck.filter((name) => !TRINO_FUNCTIONS.has(name))).toEqual(
      expect.arrayContaining(['strftime', 'string_agg']),
    );
  });
});

import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuplicateFinder } from '../../lambdas/shared/archive/duplicate-finder';

const spillDir = () => mkdtempSync(join(tmpdir(), 'op-events-duplicate-finder-'));

/** 40 objects of 100 uuids, three of them seen again later. */
function addStream(finder: DuplicateFinder): void {
  for (let object = 0; object < 40; object++) {
    for (let line = 1; line <= 100; line++) finder.add(`${object}-${line}`, object, line);
  }
  finder.add('3-7', 39, 101);
  finder.add('3-7', 39, 102);
  finder.add('0-1', 20, 101);
}

const expected = [
  {
    uuid: '0-1',
    places: [
      { object: 0, line: 1 },
      { object: 20, line: 101 },
    ],
  },
  {
    uuid: '3-7',
    places: [
      { object: 3, line: 7 },
      { object: 39, line: 101 },
      { object: 39, line: 102 },
    ],
  },
];

describe('DuplicateFinder', () => {
  it('finds repeats in memory while the uuids fit, and writes nothing', async () => {
    const directory = spillDir();
    const finder = new DuplicateFinder({ memoryBytes: 1024 * 1024, totalObjects: 40, directory });

    addStream(finder);
    const found = await finder.duplicates();
    finder.close();

    expect(found).toEqual(expected);
    expect(finder.summary()).toEqual({ uuids: 4_003, partitions: 0, spillBytes: 0 });
    expect(readdirSync(directory)).toEqual([]);
  });

  it('splits a partition again when the stream is larger than it first looked', async () => {
    const directory = spillDir();
    // Told of 1 object, it expects little when memory runs out, and picks too few partitions.
    const finder = new DuplicateFinder({ memoryBytes: 2_000, totalObjects: 1, directory });

    addStream(finder);
    const found = await finder.duplicates();
    finder.close();

    expect(found).toEqual(expected);
    // A first set of 2 files, then more for each file that outgrew memory.
    expect(finder.summary().partitions).toBeGreaterThan(2);
    expect(readdirSync(directory)).toEqual([]);
  });

  it('gives back from disk exactly the uuids it was given, whatever their characters and length', async () => {
    const directory = spillDir();
    const finder = new DuplicateFinder({ memoryBytes: 500, totalObjects: 4, directory });
    // Longer than the 1 MiB read buffer.
    const long = 'x'.repeat(1024 * 1024 + 1);
    // Lone surrogates would turn into the same U+FFFD in UTF-8: they must stay apart.
    const uuids = ['ascii', 'ünïcødé', '\ud800', '\udfff', '😀', '', long];

    for (const [line, uuid] of uuids.entries()) finder.add(uuid, 0, line + 1);
    for (let line = 1; line <= 50; line++) finder.add(`filler-${line}`, 1, line);
    for (const [line, uuid] of uuids.entries()) finder.add(uuid, 2, line + 1);
    const found = await finder.duplicates();
    finder.close();

    expect(finder.summary().partitions).toBeGreaterThan(1);
    expect(found.map((duplicate) => duplicate.uuid)).toEqual(uuids);
    expect(found.map((duplicate) => duplicate.places)).toEqual(
      uuids.map((_, index) => [
        { object: 0, line: index + 1 },
        { object: 2, line: index + 1 },
      ]),
    );
  });

  it('removes its files when closed before the end', () => {
    const directory = spillDir();
    const finder = new DuplicateFinder({ memoryBytes: 500, totalObjects: 40, directory });

    addStream(finder);
    const whileAdding = readdirSync(directory);
    finder.close();

    expect(whileAdding).toHaveLength(1);
    expect(readdirSync(directory)).toEqual([]);
  });
});

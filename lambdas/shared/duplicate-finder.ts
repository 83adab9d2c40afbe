import { closeSync, mkdtempSync, openSync, readSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';

/** Where one event sits in a stream: its object's position in chain order, and its line in that object (from 1). */
export interface EventPlace {
  readonly object: number;
  readonly line: number;
}

/** A uuid found on more than one line, with every place it is on. */
export interface DuplicateUuid {
  readonly uuid: string;
  /** In stream order, the first copy included. */
  readonly places: EventPlace[];
}

export interface DuplicateFinderOptions {
  /**
   * Memory for the uuids held at once. Beyond it they go to temporary files on disk, hashed
   * into partitions that are each checked in memory afterwards.
   */
  readonly memoryBytes: number;
  /** Objects in the stream; with the objects seen so far it estimates the stream's size when memory first runs out. */
  readonly totalObjects: number;
  /** Where the temporary files go (a new folder inside it, removed by `close`). @default os.tmpdir() */
  readonly directory?: string;
}

export interface DuplicateFinderSummary {
  /** Uuids added. */
  readonly uuids: number;
  /** Partition files the uuids were spilled to, splits included; 0 when they fitted in memory. */
  readonly partitions: number;
  /** Most bytes the temporary files held at once. */
  readonly spillBytes: number;
}

/**
 * What one distinct uuid costs in memory, on top of its characters: the map entry, the string
 * header and its first place. Measured on Node 20: about 85 bytes for a 36-character uuid.
 */
const ENTRY_BYTES = 64;
/** Partition files written at once, each through its own buffer; more would press on the open-files limit. */
const MAX_PARTITIONS = 256;
const WRITE_BUFFER_BYTES = 64 * 1024;
const READ_BUFFER_BYTES = 1024 * 1024;
/** A partition still too large after this many splits holds uuids that collide in every hash: check it as it is. */
const MAX_SPLITS = 4;
/** A record on disk: object (u32), line (u32), encoding bit + byte length (u32), then the uuid's bytes. */
const HEADER_BYTES = 12;
const UTF16_FLAG = 0x8000_0000;

/**
 * Finds uuids that occur more than once in a stream in memory bounded by `memoryBytes`, however
 * long the stream. While the uuids fit, one map from uuid to first place finds repeats as
 * they come. When they no longer fit, every uuid so far and every later one is appended to
 * one of N partition files on local disk, chosen by a hash of the uuid, so all copies of a uuid
 * land in the same file; N is chosen from the stream's estimated size so each file fits in
 * memory. At the end each file is read back into a map of its own. A file that still does
 * not fit (the estimate was low) is split again with another hash.
 */
export class DuplicateFinder {
  private table: UuidTable | undefined = new UuidTable();
  private spill: PartitionWriter | undefined;
  private folder: string | undefined;
  private added = 0;
  private highestObject = -1;
  private partitionsWritten = 0;
  private diskBytes = 0;
  private peakDiskBytes = 0;
  private readonly removeOnExit = () => this.removeFolder();

  constructor(private readonly options: DuplicateFinderOptions) {}

  /** Notes that `uuid` is at `place`. */
  add(uuid: string, object: number, line: number): void {
    this.added += 1;
    if (object > this.highestObject) this.highestObject = object;
    if (this.spill) {
      this.spill.write(uuid, object, line);
      return;
    }
    const table = this.table as UuidTable;
    table.add(uuid, object, line);
    if (table.bytes > this.options.memoryBytes) this.spillTable(table);
  }

  /**
   * Ends the adding and returns every uuid seen more than once, in the order of their second
   * copy. Calls `stopIfAborted` between partitions, so an interrupt does not wait for all of them.
   */
  async duplicates(stopIfAborted: () => void = () => undefined): Promise<DuplicateUuid[]> {
    if (!this.spill) {
      const found = this.table?.duplicates() ?? [];
      this.table = undefined;
      return sortBySecondCopy(found);
    }
    const files = this.spill.close();
    this.spill = undefined;
    const found: DuplicateUuid[] = [];
    for (const file of files) {
      await nextTurn();
      stopIfAborted();
      await this.check(file, 1, found, stopIfAborted);
    }
    return sortBySecondCopy(found);
  }

  summary(): DuplicateFinderSummary {
    return { uuids: this.added, partitions: this.partitionsWritten, spillBytes: this.peakDiskBytes };
  }

  /** Removes the temporary files; safe to call at any point, and more than once. */
  close(): void {
    if (this.spill) {
      this.spill.abandon();
      this.spill = undefined;
    }
    this.table = undefined;
    this.removeFolder();
  }

  private spillTable(table: UuidTable): void {
    // Objects come in chain order: the share of them seen so far says how much is still to come.
    const objectsSeen = Math.max(1, this.highestObject + 1);
    const expectedBytes = (table.bytes * Math.max(this.options.totalObjects, objectsSeen)) / objectsSeen;
    const writer = this.newWriter(partitionCount(expectedBytes, this.options.memoryBytes), 0);
    for (const [uuid, object, line] of table.records()) writer.write(uuid, object, line);
    this.table = undefined;
    this.spill = writer;
  }

  private async check(file: PartitionFile, level: number, found: DuplicateUuid[], stopIfAborted: () => void) {
    const table = new UuidTable();
    let recordsRead = 0;
    const whole = readRecords(file.path, (uuid, object, line) => {
      recordsRead += 1;
      table.add(uuid, object, line);
      // One uuid larger than memory is no reason to split: it would fill any part it went to.
      return table.bytes <= this.options.memoryBytes || table.distinct < 2 || level > MAX_SPLITS;
    });
    if (whole) {
      found.push(...table.duplicates());
      this.remove(file);
      return;
    }
    // The estimate was low for this partition: split it with another hash, from what filled memory.
    const expectedBytes = (table.bytes * file.records) / recordsRead;
    const writer = this.newWriter(partitionCount(expectedBytes, this.options.memoryBytes), level);
    readRecords(file.path, (uuid, object, line) => {
      writer.write(uuid, object, line);
      return true;
    });
    this.remove(file);
    for (const part of writer.close()) {
      await nextTurn();
      stopIfAborted();
      await this.check(part, level + 1, found, stopIfAborted);
    }
  }

  private newWriter(count: number, level: number): PartitionWriter {
    if (this.folder === undefined) {
      this.folder = mkdtempSync(join(this.options.directory ?? tmpdir(), 'op-events-verify-'));
      // A second Ctrl-C exits at once, skipping `finally` blocks; exit handlers still run.
      process.on('exit', this.removeOnExit);
    }
    const name = `${this.partitionsWritten}`;
    this.partitionsWritten += count;
    return new PartitionWriter(join(this.folder, name), count, level, (bytes) => {
      this.diskBytes += bytes;
      this.peakDiskBytes = Math.max(this.peakDiskBytes, this.diskBytes);
    });
  }

  private remove(file: PartitionFile): void {
    unlinkSync(file.path);
    this.diskBytes -= file.bytes;
  }

  private removeFolder(): void {
    if (this.folder === undefined) return;
    rmSync(this.folder, { recursive: true, force: true });
    this.folder = undefined;
    process.off('exit', this.removeOnExit);
  }
}

/** Enough partitions for each to fill half the memory, so that an estimate a little low still fits. */
function partitionCount(expectedBytes: number, memoryBytes: number): number {
  return Math.min(MAX_PARTITIONS, Math.max(2, Math.ceil(expectedBytes / (memoryBytes / 2))));
}

function sortBySecondCopy(found: DuplicateUuid[]): DuplicateUuid[] {
  const second = (duplicate: DuplicateUuid) => duplicate.places[1] as EventPlace;
  return found.sort((a, b) => comparePlaces(second(a), second(b)) || (a.uuid < b.uuid ? -1 : 1));
}

function comparePlaces(a: EventPlace, b: EventPlace): number {
  return a.object - b.object || a.line - b.line;
}

/** The uuids of a stream that fits in memory, or of one partition: the first place of each, and later copies. */
class UuidTable {
  /** Bytes held, estimated: distinct uuids only, since repeats are few and each is reported anyway. */
  bytes = 0;
  private readonly first = new Map<string, number>();
  private readonly repeats = new Map<string, number[]>();
  private objects = new Uint32Array(1024);
  private lines = new Uint32Array(1024);
  private places = 0;

  get distinct(): number {
    return this.first.size;
  }

  add(uuid: string, object: number, line: number): void {
    const place = this.place(object, line);
    const seen = this.first.get(uuid);
    if (seen === undefined) {
      this.first.set(uuid, place);
      this.bytes += ENTRY_BYTES + uuid.length;
      return;
    }
    const later = this.repeats.get(uuid);
    if (later) later.push(place);
    else this.repeats.set(uuid, [place]);
  }

  duplicates(): DuplicateUuid[] {
    const found: DuplicateUuid[] = [];
    for (const [uuid, later] of this.repeats) {
      const places = [this.first.get(uuid) as number, ...later].map((place) => this.at(place));
      found.push({ uuid, places: places.sort(comparePlaces) });
    }
    return found;
  }

  *records(): Generator<[string, number, number]> {
    for (const [uuid, place] of this.first) {
      const { object, line } = this.at(place);
      yield [uuid, object, line];
    }
    for (const [uuid, later] of this.repeats) {
      for (const place of later) {
        const { object, line } = this.at(place);
        yield [uuid, object, line];
      }
    }
  }

  private place(object: number, line: number): number {
    if (this.places === this.objects.length) {
      const objects = new Uint32Array(this.places * 2);
      const lines = new Uint32Array(this.places * 2);
      objects.set(this.objects);
      lines.set(this.lines);
      this.objects = objects;
      this.lines = lines;
    }
    this.objects[this.places] = object;
    this.lines[this.places] = line;
    return this.places++;
  }

  private at(place: number): EventPlace {
    return { object: this.objects[place] as number, line: this.lines[place] as number };
  }
}

interface PartitionFile {
  readonly path: string;
  readonly records: number;
  readonly bytes: number;
}

/**
 * Appends records to `count` files through a buffer each. Writes are blocking: they land in
 * the page cache, and a round trip to the thread pool per 64 KiB would cost more.
 */
class PartitionWriter {
  private readonly files: Array<{ fd: number; buffer: Buffer; used: number; records: number; bytes: number }>;
  private readonly seed: number;

  constructor(
    private readonly base: string,
    count: number,
    level: number,
    private readonly wrote: (bytes: number) => void,
  ) {
    this.seed = Math.imul(level + 1, 0x9e37_79b9);
    this.files = [];
    try {
      for (let index = 0; index < count; index++) {
        const fd = openSync(`${base}.${index}`, 'wx');
        this.files.push({
          fd,
          buffer: Buffer.allocUnsafe(WRITE_BUFFER_BYTES),
          used: 0,
          records: 0,
          bytes: 0,
        });
      }
    } catch (error) {
      this.abandon();
      throw error;
    }
  }

  write(uuid: string, object: number, line: number): void {
    // One pass over the characters gives the hash and whether one byte each holds them exactly.
    let hash = 0x811c_9dc5;
    let widest = 0;
    for (let index = 0; index < uuid.length; index++) {
      const code = uuid.charCodeAt(index);
      widest |= code;
      hash = Math.imul(hash ^ code, 0x0100_0193);
    }
    const file = this.files[mix(hash ^ this.seed) % this.files.length] as PartitionWriter['files'][number];
    // Latin-1 for ASCII (nearly every uuid), UTF-16 otherwise: both give back the exact string.
    const wide = widest > 0x7f;
    const size = HEADER_BYTES + (wide ? uuid.length * 2 : uuid.length);
    if (file.used + size > file.buffer.length) {
      this.flush(file);
      if (size > file.buffer.length) file.buffer = Buffer.allocUnsafe(size);
    }
    const at = file.used;
    file.buffer.writeUInt32LE(object, at);
    file.buffer.writeUInt32LE(line, at + 4);
    file.buffer.writeUInt32LE(((size - HEADER_BYTES) | (wide ? UTF16_FLAG : 0)) >>> 0, at + 8);
    file.buffer.write(uuid, at + HEADER_BYTES, wide ? 'utf16le' : 'latin1');
    file.used += size;
    file.records += 1;
  }

  close(): PartitionFile[] {
    const done: PartitionFile[] = [];
    for (const [index, file] of this.files.entries()) {
      this.flush(file);
      closeSync(file.fd);
      done.push({ path: `${this.base}.${index}`, records: file.records, bytes: file.bytes });
    }
    this.files.length = 0;
    return done;
  }

  /** Closes the files without flushing; the caller removes them. */
  abandon(): void {
    for (const file of this.files) closeSync(file.fd);
    this.files.length = 0;
  }

  private flush(file: PartitionWriter['files'][number]): void {
    let written = 0;
    while (written < file.used) written += writeSync(file.fd, file.buffer, written, file.used - written);
    file.bytes += file.used;
    this.wrote(file.used);
    file.used = 0;
  }
}

/** murmur3's finaliser: FNV-1a alone leaves its low bits, which pick the partition, poorly mixed. */
function mix(hash: number): number {
  let h = hash;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85eb_ca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2_ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Calls `visit` for each record of a partition file until it returns false; says whether it read them all. */
function readRecords(path: string, visit: (uuid: string, object: number, line: number) => boolean): boolean {
  const fd = openSync(path, 'r');
  try {
    let buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
    let end = 0;
    for (;;) {
      let start = 0;
      while (end - start >= HEADER_BYTES) {
        const header = buffer.readUInt32LE(start + 8);
        const length = header & ~UTF16_FLAG;
        if (end - start < HEADER_BYTES + length) break;
        const from = start + HEADER_BYTES;
        const uuid = buffer.toString(header & UTF16_FLAG ? 'utf16le' : 'latin1', from, from + length);
        if (!visit(uuid, buffer.readUInt32LE(start), buffer.readUInt32LE(start + 4))) return false;
        start = from + length;
      }
      // Keep the partial record at the front; grow the buffer for a record larger than it.
      buffer.copy(buffer, 0, start, end);
      end -= start;
      if (end >= HEADER_BYTES) {
        const needed = HEADER_BYTES + (buffer.readUInt32LE(8) & ~UTF16_FLAG);
        if (needed > buffer.length) {
          const larger = Buffer.allocUnsafe(needed);
          buffer.copy(larger, 0, 0, end);
          buffer = larger;
        }
      }
      const read = readSync(fd, buffer, end, buffer.length - end, null);
      if (read === 0) {
        if (end !== 0) throw new Error(`temporary file ${path} ends inside a record`);
        return true;
      }
      end += read;
    }
  } finally {
    closeSync(fd);
  }
}

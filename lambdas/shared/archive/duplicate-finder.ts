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
   * Memory for the uuids held at once (at most 2 GiB). Beyond it they go to temporary files
   * on disk, hashed into partitions that are each checked in memory afterwards.
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
 * A record, in memory and on disk: object (u32), line (u32), byte length of the uuid with
 * the top bit set for UTF-16 (u32), then the uuid: Latin-1 when it is ASCII (nearly every
 * uuid), UTF-16 otherwise, so that every string, lone surrogates included, comes back exact.
 */
const HEADER_BYTES = 12;
const UTF16_FLAG = 0x8000_0000;
const LENGTH_MASK = 0x7fff_ffff;
/** Records live in chunks of 1 KiB to 4 MiB, a sixteenth of the budget, so a partly filled one wastes little. */
const MAX_CHUNK_BITS = 22;
const MIN_CHUNK_BITS = 10;
/** The index built to compare a set of records: two 32-bit slots, 1.5 to 3 per record. */
const INDEX_BYTES_PER_RECORD = 24;
/** Keeps every position, plus one, within 32 bits. */
const MAX_MEMORY_BYTES = 2 * 1024 * 1024 * 1024;
/** Partition files written at once, each through its own buffer; more would press on the open-files limit. */
const MAX_PARTITIONS = 256;
const WRITE_BUFFER_BYTES = 64 * 1024;
const READ_BUFFER_BYTES = 1024 * 1024;
/** A safety stop; a split that does not divide its records already ends the splitting. */
const MAX_SPLITS = 8;

/**
 * Finds uuids that occur more than once in a stream, in memory bounded by `memoryBytes` however
 * long the stream. Uuids are appended as compact records to buffers outside the JavaScript
 * heap, about 40 bytes an event. While they fit, they are compared there at the end. When they
 * no longer fit, every record so far and every later one goes to one of N partition files on
 * local disk, chosen by a hash of the uuid, so all copies of a uuid land in the same file; N is
 * chosen from the stream's estimated size so that each file fits in memory. At the end each
 * file is compared on its own, and a file that still does not fit (the estimate was low) is
 * first split again with another hash.
 */
export class DuplicateFinder {
  private readonly memoryBytes: number;
  private readonly chunkBits: number;
  private records: RecordSet | undefined;
  private spill: PartitionWriter | undefined;
  private folder: string | undefined;
  private added = 0;
  private highestObject = -1;
  private partitionsWritten = 0;
  private diskBytes = 0;
  private peakDiskBytes = 0;
  private readonly removeOnExit = () => this.removeFolder();

  constructor(private readonly options: DuplicateFinderOptions) {
    this.memoryBytes = Math.min(options.memoryBytes, MAX_MEMORY_BYTES);
    const bits = Math.floor(Math.log2(Math.max(1, this.memoryBytes / 16)));
    this.chunkBits = Math.min(MAX_CHUNK_BITS, Math.max(MIN_CHUNK_BITS, bits));
    this.records = new RecordSet(this.chunkBits);
  }

  /** Notes that `uuid` is on `line` of the `object`th object. */
  add(uuid: string, object: number, line: number): void {
    this.added += 1;
    if (object > this.highestObject) this.highestObject = object;
    if (this.spill) {
      this.spill.writeUuid(uuid, object, line);
      return;
    }
    const records = this.records as RecordSet;
    records.add(uuid, object, line);
    if (records.memoryNeeded > this.memoryBytes) this.spillRecords(records);
  }

  /**
   * Ends the adding and returns every uuid seen more than once, in the order of their second
   * copy. Calls `stopIfAborted` between partitions, so an interrupt does not wait for all of them.
   */
  async duplicates(stopIfAborted: () => void = () => undefined): Promise<DuplicateUuid[]> {
    if (!this.spill) {
      const found = this.records?.duplicates() ?? [];
      this.records = undefined;
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
    this.spill?.abandon();
    this.spill = undefined;
    this.records = undefined;
    this.removeFolder();
  }

  private spillRecords(records: RecordSet): void {
    // Objects come in chain order: the share of them seen so far says how much is still to come.
    const objectsSeen = Math.max(1, this.highestObject + 1);
    const expected = (records.memoryNeeded * Math.max(this.options.totalObjects, objectsSeen)) / objectsSeen;
    const writer = this.newWriter(this.partitionCount(expected), 0);
    records.eachRecord((chunk, at, size) => writer.writeRecord(chunk, at, size));
    this.records = undefined;
    this.spill = writer;
  }

  private async check(file: PartitionFile, level: number, found: DuplicateUuid[], stopIfAborted: () => void) {
    const needed = file.bytes + file.records * INDEX_BYTES_PER_RECORD;
    if (needed <= this.memoryBytes || !file.divisible || file.records < 2 || level > MAX_SPLITS) {
      const records = new RecordSet(this.chunkBits);
      readRecords(file, (chunk, at, size) => records.addRecord(chunk, at, size));
      this.remove(file);
      found.push(...records.duplicates());
      return;
    }
    // The estimate was low for this partition: split it with another hash.
    const writer = this.newWriter(this.partitionCount(needed), level);
    readRecords(file, (chunk, at, size) => writer.writeRecord(chunk, at, size));
    this.remove(file);
    const parts = writer.close();
    for (const part of parts) {
      await nextTurn();
      stopIfAborted();
      // All records in one part: their uuids hash alike under every seed (they are most likely one uuid).
      const divisible = part.records < file.records;
      await this.check({ ...part, divisible }, level + 1, found, stopIfAborted);
    }
  }

  /** Enough partitions for each to fill half the memory, so that an estimate a little low still fits. */
  private partitionCount(expectedBytes: number): number {
    return Math.min(MAX_PARTITIONS, Math.max(2, Math.ceil(expectedBytes / (this.memoryBytes / 2))));
  }

  private newWriter(count: number, level: number): PartitionWriter {
    if (this.folder === undefined) {
      this.folder = mkdtempSync(join(this.options.directory ?? tmpdir(), 'op-events-verify-'));
      // A second Ctrl-C exits at once, skipping `finally` blocks; exit handlers still run.
      process.on('exit', this.removeOnExit);
    }
    const base = join(this.folder, String(this.partitionsWritten));
    this.partitionsWritten += count;
    return new PartitionWriter(base, count, level, (bytes) => {
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

function sortBySecondCopy(found: DuplicateUuid[]): DuplicateUuid[] {
  const second = (duplicate: DuplicateUuid) => duplicate.places[1] as EventPlace;
  return found.sort((a, b) => comparePlaces(second(a), second(b)) || (a.uuid < b.uuid ? -1 : 1));
}

function comparePlaces(a: EventPlace, b: EventPlace): number {
  return a.object - b.object || a.line - b.line;
}

/**
 * Records in chunks of Buffers, outside the JavaScript heap: nothing for the garbage
 * collector to trace, and each byte counted. A position is a chunk's number shifted left by
 * the chunk size's bits, plus the record's offset in it.
 */
class RecordSet {
  count = 0;
  private readonly chunks: Buffer[] = [];
  private readonly ends: number[] = [];
  private allocated = 0;
  /** The chunk that `reserve` last reserved room in. */
  private current = Buffer.alloc(0);

  constructor(private readonly chunkBits: number) {}

  /** The chunks, and the index that `duplicates` would build over them. */
  get memoryNeeded(): number {
    return this.allocated + this.count * INDEX_BYTES_PER_RECORD;
  }

  add(uuid: string, object: number, line: number): void {
    const ascii = isAscii(uuid);
    const at = this.reserve(recordSize(uuid, ascii));
    encodeRecord(this.current, at, uuid, ascii, object, line);
  }

  addRecord(source: Buffer, at: number, size: number): void {
    const to = this.reserve(size);
    source.copy(this.current, to, at, at + size);
  }

  eachRecord(visit: (chunk: Buffer, at: number, size: number, position: number) => void): void {
    for (const [index, chunk] of this.chunks.entries()) {
      const end = this.ends[index] as number;
      let at = 0;
      while (at < end) {
        const size = HEADER_BYTES + (chunk.readUInt32LE(at + 8) & LENGTH_MASK);
        visit(chunk, at, size, index * 2 ** this.chunkBits + at);
        at += size;
      }
    }
  }

  /** Every uuid held more than once, found through an open-addressing index of 32-bit hashes. */
  duplicates(): DuplicateUuid[] {
    const size = 2 ** Math.ceil(Math.log2(this.count * 1.5 + 1));
    const mask = size - 1;
    // Position + 1 of a uuid's first record; 0 for an empty slot.
    const slots = new Uint32Array(size);
    const hashes = new Uint32Array(size);
    const repeats = new Map<number, number[]>();
    this.eachRecord((chunk, at, recordBytes, position) => {
      const hash = mix(hashRecord(chunk, at, recordBytes));
      let slot = hash & mask;
      for (;;) {
        const held = slots[slot] as number;
        if (held === 0) {
          slots[slot] = position + 1;
          hashes[slot] = hash;
          return;
        }
        if (hashes[slot] === hash && this.sameUuid(held - 1, chunk, at, recordBytes)) {
          const later = repeats.get(held - 1);
          if (later) later.push(position);
          else repeats.set(held - 1, [position]);
          return;
        }
        slot = (slot + 1) & mask;
      }
    });
    const found: DuplicateUuid[] = [];
    for (const [first, later] of repeats) {
      const { chunk, at } = this.locate(first);
      const places = [first, ...later].map((position) => {
        const record = this.locate(position);
        return {
          object: record.chunk.readUInt32LE(record.at),
          line: record.chunk.readUInt32LE(record.at + 4),
        };
      });
      found.push({ uuid: decodeUuid(chunk, at), places: places.sort(comparePlaces) });
    }
    return found;
  }

  private sameUuid(position: number, chunk: Buffer, at: number, size: number): boolean {
    const held = this.locate(position);
    // The length word carries the encoding: equal bytes under equal encodings are equal strings.
    for (let offset = 8; offset < size; offset++) {
      if (held.chunk[held.at + offset] !== chunk[at + offset]) return false;
    }
    return true;
  }

  private locate(position: number): { chunk: Buffer; at: number } {
    const chunk = this.chunks[Math.floor(position / 2 ** this.chunkBits)] as Buffer;
    return { chunk, at: position % 2 ** this.chunkBits };
  }

  /** Room for a record of `size` bytes in `current`, at the offset returned. */
  private reserve(size: number): number {
    this.count += 1;
    const last = this.chunks.length - 1;
    const end = this.ends[last] ?? 0;
    if (last >= 0 && end + size <= this.current.length) {
      this.ends[last] = end + size;
      return end;
    }
    // A record larger than a chunk gets one of its own: it still starts at offset 0.
    this.current = Buffer.allocUnsafeSlow(Math.max(2 ** this.chunkBits, size));
    this.chunks.push(this.current);
    this.ends.push(size);
    this.allocated += this.current.length;
    return 0;
  }
}

/** UTF-8 is as long as the string only when every character is ASCII: then Latin-1 holds it exactly. */
function isAscii(uuid: string): boolean {
  return Buffer.byteLength(uuid) === uuid.length;
}

function recordSize(uuid: string, ascii: boolean): number {
  return HEADER_BYTES + (ascii ? uuid.length : uuid.length * 2);
}

function encodeRecord(
  target: Buffer,
  at: number,
  uuid: string,
  ascii: boolean,
  object: number,
  line: number,
): void {
  const length = ascii ? uuid.length : uuid.length * 2;
  target.writeUInt32LE(object, at);
  target.writeUInt32LE(line, at + 4);
  target.writeUInt32LE((length | (ascii ? 0 : UTF16_FLAG)) >>> 0, at + 8);
  target.write(uuid, at + HEADER_BYTES, length, ascii ? 'latin1' : 'utf16le');
}

function decodeUuid(chunk: Buffer, at: number): string {
  const header = chunk.readUInt32LE(at + 8);
  const from = at + HEADER_BYTES;
  return chunk.toString(header & UTF16_FLAG ? 'utf16le' : 'latin1', from, from + (header & LENGTH_MASK));
}

/** FNV-1a over the record's length word and uuid bytes. */
function hashRecord(chunk: Buffer, at: number, size: number): number {
  let hash = 0x811c_9dc5;
  for (let offset = at + 8; offset < at + size; offset++) {
    hash = Math.imul(hash ^ (chunk[offset] as number), 0x0100_0193);
  }
  return hash;
}

/** murmur3's finaliser: FNV-1a alone leaves its low bits, which pick the slot and the partition, poorly mixed. */
function mix(hash: number): number {
  let h = hash;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85eb_ca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2_ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

interface PartitionFile {
  readonly path: string;
  readonly records: number;
  readonly bytes: number;
  /** Whether splitting it again can make it smaller. */
  readonly divisible: boolean;
}

interface OpenPartition {
  readonly fd: number;
  buffer: Buffer;
  used: number;
  records: number;
  bytes: number;
}

/**
 * Appends records to `count` files through a buffer each, by a hash of the uuid seeded with
 * the split's level. Writes are blocking: they land in the page cache, and a round trip to
 * the thread pool per 64 KiB would cost more.
 */
class PartitionWriter {
  private readonly files: OpenPartition[] = [];
  private readonly seed: number;
  private scratch = Buffer.allocUnsafe(256);

  constructor(
    private readonly base: string,
    count: number,
    level: number,
    private readonly wrote: (bytes: number) => void,
  ) {
    this.seed = Math.imul(level + 1, 0x9e37_79b9);
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

  writeUuid(uuid: string, object: number, line: number): void {
    const ascii = isAscii(uuid);
    const size = recordSize(uuid, ascii);
    if (size > this.scratch.length) this.scratch = Buffer.allocUnsafe(size);
    encodeRecord(this.scratch, 0, uuid, ascii, object, line);
    this.writeRecord(this.scratch, 0, size);
  }

  writeRecord(source: Buffer, at: number, size: number): void {
    const hash = mix(hashRecord(source, at, size) ^ this.seed);
    const file = this.files[hash % this.files.length] as OpenPartition;
    if (file.used + size > file.buffer.length) {
      this.flush(file);
      if (size > file.buffer.length) file.buffer = Buffer.allocUnsafe(size);
    }
    source.copy(file.buffer, file.used, at, at + size);
    file.used += size;
    file.records += 1;
  }

  close(): PartitionFile[] {
    const done: PartitionFile[] = [];
    for (const [index, file] of this.files.entries()) {
      this.flush(file);
      closeSync(file.fd);
      done.push({ path: `${this.base}.${index}`, records: file.records, bytes: file.bytes, divisible: true });
    }
    this.files.length = 0;
    return done;
  }

  /** Closes the files without flushing; the caller removes them. */
  abandon(): void {
    for (const file of this.files) closeSync(file.fd);
    this.files.length = 0;
  }

  private flush(file: OpenPartition): void {
    let written = 0;
    while (written < file.used) written += writeSync(file.fd, file.buffer, written, file.used - written);
    file.bytes += file.used;
    this.wrote(file.used);
    file.used = 0;
  }
}

/** Hands each record of a partition file to `visit`, reading it a megabyte at a time. */
function readRecords(file: PartitionFile, visit: (chunk: Buffer, at: number, size: number) => void): void {
  const { path } = file;
  const fd = openSync(path, 'r');
  try {
    let buffer = Buffer.allocUnsafe(Math.max(HEADER_BYTES, Math.min(READ_BUFFER_BYTES, file.bytes)));
    let end = 0;
    for (;;) {
      let start = 0;
      while (end - start >= HEADER_BYTES) {
        const size = HEADER_BYTES + (buffer.readUInt32LE(start + 8) & LENGTH_MASK);
        if (end - start < size) break;
        visit(buffer, start, size);
        start += size;
      }
      // Keep the partial record at the front; grow the buffer for a record larger than it.
      buffer.copy(buffer, 0, start, end);
      end -= start;
      if (end >= HEADER_BYTES) {
        const size = HEADER_BYTES + (buffer.readUInt32LE(8) & LENGTH_MASK);
        if (size > buffer.length) {
          const larger = Buffer.allocUnsafe(size);
          buffer.copy(larger, 0, 0, end);
          buffer = larger;
        }
      }
      const read = readSync(fd, buffer, end, buffer.length - end, null);
      if (read === 0) {
        if (end !== 0) throw new Error(`temporary file ${path} ends inside a record`);
        return;
      }
      end += read;
    }
  } finally {
    closeSync(fd);
  }
}

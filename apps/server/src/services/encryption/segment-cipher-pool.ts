import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { NONCE_BYTES, SEGMENT_BYTES, TAG_BYTES } from './segment-format.js';

/**
 * AES-256-GCM for large transfers on worker threads (issue 18). On the request's thread the
 * cipher was a third of an encrypted pull's time and a fifth of a push's: each segment costs
 * a cipher object and a new 64 KiB buffer, and Node's GCM runs at about half of OpenSSL's own
 * speed because of them. Here the request's thread only reads, copies and writes; a worker on
 * another core seals or opens a batch of segments at a time.
 *
 * Batches live in shared memory (a slot: input, output and each segment's nonce and additional
 * data), so a batch crosses threads as a few offsets: nothing is copied or transferred, and the
 * request's thread allocates nothing per batch. Slots are few and kept for the process's life;
 * when all are taken the caller does the work on its own thread (never waits for one), so many
 * transfers at once cost what they did before, not more memory.
 *
 * The workers know nothing of the at-rest format: segment-format.ts decides every nonce and
 * additional data, and the worker runs the cipher over the offsets it is given.
 */

/** Segments per batch: about 1 MiB, a socket buffer's worth, one message each way. */
export const BATCH_SEGMENTS = 16;
/** Additional data of one segment: version 1 binds the digest (an algorithm and up to 128 hex). */
const AAD_MAX = 256;
/** Stored bytes of one segment, at most (version 2: nonce and tag). */
const SEALED_MAX = SEGMENT_BYTES + NONCE_BYTES + TAG_BYTES;
const AREA = BATCH_SEGMENTS * SEALED_MAX;
/** Batches a worker runs between two minor collections of its garbage (see WORKER_CODE). */
const COLLECT_EVERY = 4;
/** Per item of a job: input at, input length, nonce at, aad at, aad length, output at, tag at. */
const FIELDS = 7;

// Evaluated in the worker (CommonJS), so the same code runs from src (tests) and from dist.
const WORKER_CODE = `
const { parentPort } = require('node:worker_threads');
const crypto = require('node:crypto');
const v8 = require('node:v8');
const vm = require('node:vm');
// Every segment's cipher call returns a new 64 KiB buffer. V8 frees them when it collects the
// objects that hold them, which a thread that allocates little else does rarely (after tens of
// MiB of them): a minor collection after every few batches keeps that garbage to a few MiB.
v8.setFlagsFromString('--expose-gc');
const collect = vm.runInNewContext('gc');
let sinceCollect = 0;
const slots = new Map();
parentPort.on('message', (m) => {
  if (m.buffer) {
    slots.set(m.slot, new Uint8Array(m.buffer));
    return;
  }
  const mem = slots.get(m.slot);
  const f = m.items;
  let failed = -1;
  try {
    for (let i = 0; i < f.length / ${FIELDS}; i++) {
      const o = i * ${FIELDS};
      const input = mem.subarray(f[o], f[o] + f[o + 1]);
      const nonce = mem.subarray(f[o + 2], f[o + 2] + ${NONCE_BYTES});
      const aad = mem.subarray(f[o + 3], f[o + 3] + f[o + 4]);
      if (m.seal) {
        const cipher = crypto.createCipheriv('aes-256-gcm', m.key, nonce);
        cipher.setAAD(aad);
        mem.set(cipher.update(input), f[o + 5]);
        cipher.final();
        mem.set(cipher.getAuthTag(), f[o + 6]);
        continue;
      }
      const decipher = crypto.createDecipheriv('aes-256-gcm', m.key, nonce);
      decipher.setAAD(aad);
      decipher.setAuthTag(mem.subarray(f[o + 6], f[o + 6] + ${TAG_BYTES}));
      let plain;
      try {
        plain = decipher.update(input);
        decipher.final();
      } catch {
        failed = i;
        break;
      }
      // Only once the tag matched: unauthenticated plaintext never reaches shared memory.
      mem.set(plain, f[o + 5]);
    }
  } catch (error) {
    parentPort.postMessage({ id: m.id, error: String(error && error.message) });
    return;
  }
  parentPort.postMessage({ id: m.id, failed });
  if (++sinceCollect >= ${COLLECT_EVERY}) {
    sinceCollect = 0;
    collect({ type: 'minor' });
  }
});
`;

/**
 * One batch's shared memory: `input` (stored segments to open, or plaintext to seal),
 * `output`, and room for each segment's nonce and additional data. Held by one transfer until
 * it calls release.
 */
export interface CipherSlot {
  readonly input: Buffer;
  readonly output: Buffer;
  /** Adds a segment to the batch (see SegmentCipherPool.run). */
  add(item: {
    inputAt: number;
    inputLength: number;
    nonce: Uint8Array;
    aad: Uint8Array;
    outputAt: number;
    /** Opening: where the segment's tag is in `input`; sealing: where to write it in `output`. */
    tagAt: number;
  }): void;
  release(): void;
}

interface SlotState {
  id: number;
  op: 'seal' | 'open';
  memory: Buffer;
  items: number[];
  scratchAt: number;
  /** Acquired and not released yet: a second release must not hand the memory out twice. */
  held: boolean;
  /** The workers this slot's memory was sent to. */
  known: Set<PoolWorker>;
}

interface PoolWorker {
  worker: Worker;
  pending: Map<number, { resolve: (failed: number) => void; reject: (error: Error) => void }>;
}

export class SegmentCipherPool {
  readonly #free: CipherSlot[] = [];
  readonly #states = new WeakMap<CipherSlot, SlotState>();
  #created = 0;
  #workers: PoolWorker[] = [];
  #nextJob = 0;
  #retiring = false;
  /** Batches run on a worker so far (for tests and diagnostics). */
  ran = 0;

  constructor(
    readonly workers: number,
    readonly slots: number,
  ) {}

  /**
   * A batch's memory for sealing or opening, or null when every slot is in use (or the pool
   * has no workers).
   */
  acquire(op: 'seal' | 'open'): CipherSlot | null {
    if (this.workers === 0) return null;
    const slot = this.#free.pop() ?? (this.#created < this.slots ? this.#newSlot() : null);
    if (!slot) return null;
    const state = this.#states.get(slot)!;
    state.op = op;
    state.items = [];
    state.scratchAt = 2 * AREA;
    state.held = true;
    return slot;
  }

  /**
   * Runs the batch's segments through AES-256-GCM on a worker: sealing writes each segment's
   * ciphertext at its output offset and its tag at tagAt; opening writes the plaintext of each
   * segment that authenticates. Resolves with the index of the first segment that did not
   * authenticate (nothing of it or after it was written), or -1.
   */
  run(slot: CipherSlot, key: Buffer): Promise<number> {
    const state = this.#states.get(slot);
    if (!state?.held) throw new Error('a cipher batch runs in a slot acquired from its pool');
    const target = this.#pickWorker();
    if (!state.known.has(target)) {
      target.worker.postMessage({ slot: state.id, buffer: state.memory.buffer });
      state.known.add(target);
    }
    const id = this.#nextJob++;
    this.ran += 1;
    return new Promise<number>((resolve, reject) => {
      target.pending.set(id, { resolve, reject });
      target.worker.postMessage({
        id,
        slot: state.id,
        seal: state.op === 'seal',
        // A copy of its own: a Buffer may be a view into a larger one (Node's pool, a key file
        // read whole), and a message copies a view's whole backing store.
        key: Uint8Array.from(key),
        items: Float64Array.from(state.items),
      });
    });
  }

  /** Stops the workers once the batches they run are done. */
  retire(): void {
    this.#retiring = true;
    this.#closeIfIdle();
  }

  #closeIfIdle(): void {
    if (this.#retiring && this.#workers.every((w) => w.pending.size === 0)) void this.close();
  }

  /** Stops the workers (tests); a later batch starts new ones. */
  async close(): Promise<void> {
    const workers = this.#workers;
    this.#workers = [];
    await Promise.all(workers.map((w) => w.worker.terminate()));
  }

  #newSlot(): CipherSlot {
    const memory = Buffer.from(
      new SharedArrayBuffer(2 * AREA + BATCH_SEGMENTS * (NONCE_BYTES + AAD_MAX)),
    );
    const state: SlotState = {
      id: this.#created++,
      op: 'open',
      memory,
      items: [],
      scratchAt: 2 * AREA,
      held: false,
      known: new Set(),
    };
    const slot: CipherSlot = {
      input: memory.subarray(0, AREA),
      output: memory.subarray(AREA, 2 * AREA),
      add: (item: Parameters<CipherSlot['add']>[0]) => {
        if (item.aad.length > AAD_MAX || state.items.length >= BATCH_SEGMENTS * FIELDS) {
          throw new RangeError(
            'a cipher batch holds 16 segments with additional data of 256 bytes',
          );
        }
        const nonceAt = state.scratchAt;
        memory.set(item.nonce, nonceAt);
        memory.set(item.aad, nonceAt + NONCE_BYTES);
        state.scratchAt += NONCE_BYTES + item.aad.length;
        state.items.push(
          item.inputAt,
          item.inputLength,
          nonceAt,
          nonceAt + NONCE_BYTES,
          item.aad.length,
          AREA + item.outputAt,
          state.op === 'seal' ? AREA + item.tagAt : item.tagAt,
        );
      },
      release: () => {
        if (!state.held) return;
        state.held = false;
        this.#free.push(slot);
      },
    };
    this.#states.set(slot, state);
    return slot;
  }

  #pickWorker(): PoolWorker {
    while (this.#workers.length < this.workers) this.#workers.push(this.#startWorker());
    let best = this.#workers[0]!;
    for (const w of this.#workers) if (w.pending.size < best.pending.size) best = w;
    return best;
  }

  #startWorker(): PoolWorker {
    const worker = new Worker(WORKER_CODE, { eval: true });
    // It must never keep a process alive that is otherwise done.
    worker.unref();
    const entry: PoolWorker = { worker, pending: new Map() };
    const fail = (error: Error) => {
      // Its batches fail (the transfer reports it); the next batch starts a new worker.
      this.#workers = this.#workers.filter((w) => w !== entry);
      for (const job of entry.pending.values()) job.reject(error);
      entry.pending.clear();
    };
    worker.on('message', (m: { id: number; failed?: number; error?: string }) => {
      const job = entry.pending.get(m.id);
      if (!job) return;
      entry.pending.delete(m.id);
      if (m.error !== undefined) job.reject(new Error(`the cipher worker failed: ${m.error}`));
      else job.resolve(m.failed ?? -1);
      this.#closeIfIdle();
    });
    worker.once('error', fail);
    worker.once('exit', (code) => fail(new Error(`the cipher worker exited with ${code}`)));
    return entry;
  }
}

let shared: SegmentCipherPool | null = null;
let configured: number | null = null;

/** One fewer than the cores, at least 1, at most 4: the request's thread keeps a core. */
const defaultWorkers = () => Math.max(1, Math.min(4, availableParallelism() - 1));

/**
 * The process's pool: `workers` threads (0 keeps the cipher on the request's thread), two
 * slots per worker and at least 4, at most 8 (about 17 MiB when all are in use).
 */
export function sharedCipherPool(): SegmentCipherPool {
  if (!shared) {
    const workers = configured ?? defaultWorkers();
    shared = new SegmentCipherPool(workers, Math.min(8, Math.max(6, 3 * workers)));
  }
  return shared;
}

/**
 * Sets the shared pool's workers (BERTH_CIPHER_WORKERS; null: the default) for what starts
 * from now on; a pool of another size stops once the batches it runs are done.
 */
export function configureCipherPool(workers: number | null): void {
  configured = workers;
  if (shared && shared.workers !== (workers ?? defaultWorkers())) {
    shared.retire();
    shared = null;
  }
}

import { readFileSync, renameSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { NodeAPI, NodeMessage } from './red-types';

/**
 * The journal of waits in flight: one JSON file in Node-RED's user directory, so a wait survives a stop and a crash
 * (SIGKILL) whatever context store is configured. Every change is written to a temporary file that then replaces
 * the journal (rename is atomic), so a crash leaves the old or the new journal, never half of one.
 */
export const JOURNAL_FILE = 'lipsync-waits.json';

/** What is saved per wait: enough to resume it after a restart and hand the flow its message back. */
export interface SavedWait {
  jobId: string;
  startedAt: number;
  msg: NodeMessage;
  /** The provider the job was created on, so a wait whose account changed provider is not polled on the wrong API. */
  provider?: string;
}

export type NodeWaits = Record<string, SavedWait>;

/** The whole journal stays under this size: past it, waits are kept with their job id and no message. */
export const MAX_JOURNAL_BYTES = 32 * 1024 * 1024;

export interface JournalLog {
  warn(text: string): void;
  info(text: string): void;
}

/** The journal as it was read at start, or why it could not be read. */
interface Loaded {
  nodes: Map<string, NodeWaits>;
  problem?: string;
}

function isSaved(value: unknown): value is SavedWait {
  const s = value as SavedWait | null;
  return !!s && typeof s === 'object' && typeof s.jobId === 'string' && typeof s.startedAt === 'number';
}

function load(file: string): Loaded {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { nodes: new Map() };
    return { nodes: new Map(), problem: (e as Error).message };
  }
  try {
    const data = JSON.parse(text) as { version?: unknown; nodes?: unknown };
    if (!data || typeof data !== 'object' || data.version !== 1 || !data.nodes || typeof data.nodes !== 'object') {
      return { nodes: new Map(), problem: 'not a journal of this package (version 1)' };
    }
    const nodes = new Map<string, NodeWaits>();
    for (const [key, waits] of Object.entries(data.nodes as Record<string, unknown>)) {
      if (!waits || typeof waits !== 'object') continue;
      const valid = Object.entries(waits as Record<string, unknown>).filter(([, s]) => isSaved(s)) as [string, SavedWait][];
      if (valid.length) nodes.set(key, Object.fromEntries(valid));
    }
    return { nodes };
  } catch (e) {
    return { nodes: new Map(), problem: `unreadable JSON (${(e as Error).message}), perhaps cut short` };
  }
}

/**
 * One journal per user directory, shared by every create and wait node of the process. Nodes claim their waits by
 * key when they start; on the first start of the flows, waits that no node claimed (their node was deleted while
 * Node-RED was down) are named in the log and dropped.
 */
export class WaitJournal {
  private readonly nodes: Map<string, NodeWaits>;
  /**
   * Each wait as JSON, by node: a saved wait never changes, so it is serialised once, and a write of 10,000 waits
   * joins strings instead of serialising every message again.
   */
  private readonly texts = new Map<string, Map<string, string>>();
  /** Nodes whose waits changed since the last write. */
  private readonly dirty = new Set<string>();
  private readonly claimed = new Set<string>();
  private writing: Promise<void> = Promise.resolve();
  private writeQueued = false;
  private overWarned = false;

  constructor(
    readonly file: string,
    private readonly log: JournalLog,
    private readonly maxBytes = MAX_JOURNAL_BYTES,
  ) {
    const loaded = load(file);
    this.nodes = loaded.nodes;
    if (loaded.problem) {
      const aside = `${file}.unreadable-${Date.now()}`;
      let moved = false;
      try {
        renameSync(file, aside);
        moved = true;
      } catch {
        // left in place; it is replaced by the next write
      }
      log.warn(
        `lipsync: the journal of waits in flight ${file} could not be read (${loaded.problem}); the waits it held cannot be resumed.` +
          (moved ? ` It was kept as ${aside}: the job ids in it can be looked up with a job status node.` : ''),
      );
    }
    for (const key of this.nodes.keys()) this.dirty.add(key);
  }

  /** The waits journalled for one node (by the previous run or the previous instance), claiming them. */
  take(key: string): NodeWaits {
    this.claimed.add(key);
    return { ...(this.nodes.get(key) ?? {}) };
  }

  /**
   * Journals one node's waits (empty = forget the node) and queues a write. `waits` is read when the write starts,
   * so a burst of changes to the same object costs one serialisation, not one per change.
   */
  set(key: string, waits: NodeWaits): void {
    this.claimed.add(key);
    this.nodes.set(key, waits);
    this.dirty.add(key);
    this.queueWrite();
  }

  /** Resolves once everything set so far is on disk. */
  flush(): Promise<void> {
    return this.writing;
  }

  /** Drops the waits of nodes that did not start, naming their job ids in the log (called once the flows started). */
  dropUnclaimed(): void {
    const lost: string[] = [];
    for (const [key, waits] of this.nodes) {
      if (this.claimed.has(key)) continue;
      lost.push(...Object.values(waits).map((w) => w.jobId));
      this.nodes.set(key, {});
      this.dirty.add(key);
    }
    if (!lost.length) return;
    this.log.warn(
      `lipsync: could not resume the wait(s) for job id(s) ${lost.join(', ')}: their node is no longer in the deployed flows. ` +
        'The jobs still run at the provider: look them up with a job status node.',
    );
    this.queueWrite();
  }

  private queueWrite(): void {
    if (this.writeQueued) return;
    this.writeQueued = true;
    this.writing = this.writing.then(() => {
      this.writeQueued = false;
      return this.write().catch((e: Error) => this.log.warn(`lipsync: could not write the journal of waits in flight ${this.file}: ${e.message}`));
    });
  }

  /** The journal's text, bounded: past MAX_JOURNAL_BYTES the remaining nodes' waits keep only their job ids. */
  private render(): string {
    for (const key of this.dirty) {
      const waits = this.nodes.get(key) ?? {};
      const before = this.texts.get(key) ?? new Map<string, string>();
      const texts = new Map<string, string>();
      for (const [k, w] of Object.entries(waits)) texts.set(k, before.get(k) ?? JSON.stringify(w));
      if (texts.size) this.texts.set(key, texts);
      else {
        this.nodes.delete(key);
        this.texts.delete(key);
      }
    }
    this.dirty.clear();
    const parts: string[] = [];
    let size = 0;
    let trimmed = false;
    for (const [key, texts] of this.texts) {
      const waits = this.nodes.get(key) ?? {};
      const entries: string[] = [];
      for (const [k, text] of texts) {
        let value = text;
        if (size + value.length > this.maxBytes) {
          value = JSON.stringify({ ...waits[k], msg: {} });
          trimmed = true;
        }
        size += value.length + k.length + 4;
        entries.push(`${JSON.stringify(k)}:${value}`);
      }
      parts.push(`${JSON.stringify(key)}:{${entries.join(',')}}`);
    }
    if (trimmed && !this.overWarned) {
      this.overWarned = true;
      this.log.warn(`lipsync: the waits in flight exceed ${Math.round(this.maxBytes / 1024)} kB of messages; some are journalled with their job id only, and resume with a message that holds just the job.`);
    }
    return `{"version":1,"nodes":{${parts.join(',')}}}\n`;
  }

  private async write(): Promise<void> {
    const tmp = `${this.file}.tmp`;
    const text = this.render();
    if (this.texts.size === 0) {
      await unlink(this.file).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT') throw e;
      });
      return;
    }
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.file);
  }
}

const journals = new Map<string, WaitJournal>();

/**
 * The journal of the user directory `userDir`, opened (and read) on first use, or undefined without a user
 * directory (e.g. the node test helper), where waits live in the context store only.
 */
export function journalFor(userDir: unknown, log: JournalLog, onFirstFlowsStarted: (fn: () => void) => void): WaitJournal | undefined {
  if (typeof userDir !== 'string' || !userDir) return undefined;
  const file = join(userDir, JOURNAL_FILE);
  let journal = journals.get(file);
  if (!journal) {
    journal = new WaitJournal(file, log);
    journals.set(file, journal);
    const j = journal;
    onFirstFlowsStarted(() => j.dropUnclaimed());
  }
  return journal;
}

/** The journal of this Node-RED's user directory (RED.settings.userDir), logging through Node-RED's log. */
export function nodeRedJournal(RED: NodeAPI): WaitJournal | undefined {
  const log = RED.log;
  return journalFor(RED.settings.userDir, { warn: (t) => log?.warn(t), info: (t) => log?.info(t) }, (fn) => RED.events.once('flows:started', fn));
}

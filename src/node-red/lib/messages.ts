import { ERROR_CODES, LipSyncError, type LipSyncJob } from '../../core';
import type { AccountNode, NodeAPI, NodeMessage, RedNode } from './red-types';

/** Reads a typed-input property (msg / flow / global / env / str); flow and global may live in async stores. */
export function evaluate(RED: NodeAPI, node: RedNode, msg: NodeMessage, value: string, type: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    RED.util.evaluateNodeProperty(value, type || 'str', node, msg, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

/** Where a typed input reads from, as a user would write it: `msg.videoUrl`, `env VIDEO_URL`, `the text in the node`. */
export function describeSource(value: string, type: string): string {
  if (type === 'str') return 'the text set in the node';
  if (type === 'env') return `environment variable ${value}`;
  return `${type}.${value}`;
}

/** The job id a message refers to: msg.jobId, else msg.payload.id, else msg.payload itself when it is text (an inject of the id). */
export function jobIdOf(msg: NodeMessage): string | undefined {
  const direct = msg.jobId;
  if (typeof direct === 'string' && direct.trim()) return direct.trim();
  if (typeof direct === 'number') return String(direct);
  const payload = msg.payload as { id?: unknown } | string | undefined;
  if (payload && typeof payload === 'object' && typeof payload.id === 'string' && payload.id.trim()) return payload.id.trim();
  if (typeof payload === 'string' && payload.trim() && !/\s/.test(payload.trim())) return payload.trim();
  return undefined;
}

export function missingJobId(): LipSyncError {
  return new LipSyncError(
    ERROR_CODES.INVALID_INPUT,
    'No job id: set msg.jobId (or msg.payload.id, or msg.payload to the id as text) to the id a create job node returned',
    { field: 'msg.jobId' },
  );
}

/** The account node a job node is configured with, or an error that says how to fix it. */
export function accountOf(RED: NodeAPI, accountId: string | undefined): AccountNode {
  const account = accountId ? (RED.nodes.getNode(accountId) as AccountNode | null) : null;
  if (!account || typeof account.getClient !== 'function') {
    throw new LipSyncError(ERROR_CODES.INVALID_INPUT, 'No lip-sync account is selected: open the node and pick or add an account', { field: 'account' });
  }
  return account;
}

/** Puts the job on the message the way every node of this package does. */
export function withJob(msg: NodeMessage, job: LipSyncJob): NodeMessage {
  msg.payload = job;
  msg.jobId = job.id;
  return msg;
}

/** Sets msg.error / msg.jobId from an error so both an output branch and a Catch node see what happened. */
export function withError(msg: NodeMessage, error: unknown, jobId?: string): NodeMessage {
  if (LipSyncError.is(error)) {
    const err = jobId && !error.jobId ? error.withJobId(jobId) : error;
    msg.error = err.toJSON();
    if (err.jobId) msg.jobId = err.jobId;
  } else {
    msg.error = { message: error instanceof Error ? error.message : String(error) };
    if (jobId) msg.jobId = jobId;
  }
  return msg;
}

/** An Error for done(err): the core's message (never holds an API key) with the job id in it. */
export function asError(error: unknown, jobId?: string): Error {
  if (LipSyncError.is(error)) return jobId && !error.jobId ? error.withJobId(jobId) : error;
  return error instanceof Error ? error : new Error(String(error));
}

const NOT_KEPT = new Set(['req', 'res', 'payload', '_event']);
const MAX_PROPERTY_BYTES = 64 * 1024;
const MAX_MESSAGE_BYTES = 256 * 1024;

/**
 * The part of a message that can be saved (journal, context store) and survive a restart: JSON values up to
 * 64 kB each and 256 kB in all (properties past that are left out). HTTP request/response objects, Buffers and
 * anything circular are left out; msg.payload is rebuilt from the job.
 */
export function persistable(msg: NodeMessage): NodeMessage {
  const out: NodeMessage = {};
  let total = 0;
  for (const [key, value] of Object.entries(msg)) {
    if (NOT_KEPT.has(key) || value === undefined || typeof value === 'function') continue;
    if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) continue;
    try {
      const text = JSON.stringify(value);
      if (text === undefined || text.length > MAX_PROPERTY_BYTES || total + text.length > MAX_MESSAGE_BYTES) continue;
      total += text.length;
      out[key] = JSON.parse(text);
    } catch {
      // circular or otherwise not serialisable: not kept
    }
  }
  return out;
}

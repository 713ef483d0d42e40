import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { setMaxListeners } from 'node:events';
import { ConcurrencyLimit, isSpeechProvider, providerName, type ProviderId } from '../../../src';
import { errorItem, clientFactory, readOptions, settle, toNodeError, type OperationContext } from '../helpers/utils';
import { recordCreatedJob } from '../helpers/jobRecord';
import { LISTING_PROVIDERS, PROVIDERS } from './common.descriptions';
import { operations, WAITING_OPERATIONS, type JobOperation, type JobOperationName } from './job';
import { operations as speechOperations } from './speech';
import { operations as voiceOperations } from './voice';

const OTHER_RESOURCES: Record<string, Record<string, JobOperation>> = { speech: speechOperations, voice: voiceOperations };

/**
 * Runs the selected operation for every input item. Items are processed one by one, except for the waiting
 * operations (Create and Wait, Wait), which start every item at once: creates go out as fast as the provider's
 * documented create limit allows (the account's shared rate limiter), and all jobs are waited for together, so a
 * batch takes about as long as the provider needs and not a multiple of a slot count. "Parallel Jobs" (0 = no
 * limit, the default) caps the jobs rendering at once, for accounts with a concurrency plan. A few items at a time
 * read their input and send their create, so a batch's media is never all in memory at once.
 * Output keeps the input's order and pairing. Without "Continue On Fail" the first error stops the batch (pending
 * waits are abandoned, never their jobs; creates not yet sent are not sent) and the error names every job this run
 * created, so no job ID is lost; so does a Stop.
 */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const provider = this.getNodeParameter('provider', 0) as ProviderId;
	const resource = this.getNodeParameter('resource', 0) as string;
	// Speech and voice operations exist only for the Fish Audio providers: for the others there is no operation.
	const operation = this.getNodeParameter('operation', 0, '') as JobOperationName;
	if (!PROVIDERS.includes(provider)) {
		throw new NodeOperationError(this.getNode(), `Unknown provider "${String(provider)}"`, { description: `Choose one of: ${PROVIDERS.join(', ')}` });
	}
	const op = resource === 'job' ? operations[operation] : OTHER_RESOURCES[resource]?.[operation];
	if (!op && resource !== 'job' && !isSpeechProvider(provider)) {
		throw new NodeOperationError(this.getNode(), 'Speech and voices need a Fish Audio provider', { description: 'Choose Provider: Fish Audio (open API) or Fish Audio (v1 API)' });
	}
	if (!op) throw new NodeOperationError(this.getNode(), `The operation "${operation}" of resource "${resource}" is not supported`);
	if (resource === 'job' && operation === 'getAll' && !LISTING_PROVIDERS.includes(provider)) {
		throw new NodeOperationError(this.getNode(), `${providerName(provider)} has no way to list jobs`, {
			description: 'Keep the job IDs that Create outputs (e.g. in a table) and use Get or Wait with them',
		});
	}

	const stop = new AbortController();
	const cancel = this.getExecutionCancelSignal?.();
	const signal = cancel ? AbortSignal.any([cancel, stop.signal]) : stop.signal;
	// Every waiting item listens on it (sleeps, rate-limiter queues): hundreds of listeners are expected, not a leak.
	setMaxListeners(0, signal);
	const created = new Map<number, string>();
	const waiting = resource === 'job' && WAITING_OPERATIONS.includes(operation);
	const preparing = new ConcurrencyLimit(waiting ? PREPARING_AT_ONCE : 1);
	const context: OperationContext = {
		provider,
		signal,
		client: clientFactory(this, provider),
		created: (i, id) => {
			created.set(i, id);
			recordCreatedJob(this, i, provider, id);
		},
		createTurn: () => preparing.acquire(signal),
	};
	const continueOnFail = this.continueOnFail();
	const errorOutput = this.getNode().onError === 'continueErrorOutput';
	// Items in flight: every one for the waiting operations unless "Parallel Jobs" caps them, else one at a time.
	const rendering = new ConcurrencyLimit(waiting ? renderingCap(readOptions(this, 0).parallel) : 1);

	const results: Array<{ items: INodeExecutionData[] } | { error: unknown }> = new Array(items.length);
	let failure: { itemIndex: number; error: unknown } | undefined;
	const runItem = async (itemIndex: number) => {
		const slot = await settle(rendering.acquire(signal));
		if (!slot.ok) return; // the batch was stopped before this item started: nothing was sent for it
		const outcome = await settle(op.execute.call(this, itemIndex, context));
		slot.value();
		if (outcome.ok) results[itemIndex] = { items: outcome.value };
		else {
			results[itemIndex] = { error: outcome.error };
			if (!continueOnFail && !failure) {
				failure = { itemIndex, error: outcome.error };
				stop.abort();
			}
		}
	};
	await Promise.all(items.map((_, itemIndex) => runItem(itemIndex)));

	if (cancel?.aborted) {
		// "canceled" in the message is how n8n's engine tells a stop from a failure (status "canceled", so no error
		// workflow runs); the jobs themselves keep running at the provider, hence their IDs in the description.
		throw new NodeOperationError(this.getNode(), 'The execution was canceled while the node was working', {
			description: createdNote(created) ?? 'No job had been created yet.',
		});
	}
	if (failure) throw toNodeError(this, failure.error, failure.itemIndex, createdNote(created, failure.itemIndex));

	const output: INodeExecutionData[] = [];
	results.forEach((result, itemIndex) => {
		if ('items' in result) output.push(...result.items);
		else {
			const item = errorItem(result.error, itemIndex, { provider, jobId: created.get(itemIndex), includeRaw: includeRaw(this, itemIndex) });
			// n8n's engine moves an item to the error output only when its json is `{ error }` alone (it then adds the
			// input item's fields); the job id is still in `error.jobId` there.
			output.push(errorOutput ? { json: { error: item.json.error }, pairedItem: item.pairedItem } : item);
		}
	});
	return [output];
}

/** Options > Include Raw Response of an item whose run failed (its options may be what failed). */
function includeRaw(ctx: IExecuteFunctions, itemIndex: number): boolean {
	try {
		return readOptions(ctx, itemIndex).includeRaw === true;
	} catch {
		return false;
	}
}

/** Items that read their input and send their create at once; enough to keep any documented create rate busy. */
const PREPARING_AT_ONCE = 20;

/** "Parallel Jobs": a positive whole number caps the jobs in flight; 0, empty or anything else means no cap. */
function renderingCap(value: unknown): number {
	const n = Math.floor(Number(value ?? 0));
	return Number.isFinite(n) && n >= 1 ? n : Infinity;
}

/** "Jobs created by this run that keep running at the provider", for error descriptions. */
function createdNote(created: Map<number, string>, except?: number): string | undefined {
	const list = [...created].filter(([i]) => i !== except).map(([i, id]) => `${id} (item ${i})`);
	return list.length ? `Jobs this node created in this run, which keep running at the provider: ${list.join(', ')}` : undefined;
}

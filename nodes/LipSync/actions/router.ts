import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { providerName, type ProviderId } from '../../../src';
import { errorJson, clientFactory, readOptions, recordCreatedJobs, settle, toNodeError, type OperationContext } from '../helpers/utils';
import { LISTING_PROVIDERS, PROVIDERS } from './common.descriptions';
import { operations, WAITING_OPERATIONS, type JobOperationName } from './job';

/**
 * Runs the selected operation for every input item. Items are processed one by one, except for the waiting
 * operations, which keep up to "Parallel Jobs" items in flight so a batch renders in parallel at the provider.
 * Without "Continue On Fail" the first error stops the batch (pending waits are abandoned, never their jobs)
 * and the error names every job this run created, so no job ID is lost.
 */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const provider = this.getNodeParameter('provider', 0) as ProviderId;
	const resource = this.getNodeParameter('resource', 0) as string;
	const operation = this.getNodeParameter('operation', 0) as JobOperationName;
	if (!PROVIDERS.includes(provider)) {
		throw new NodeOperationError(this.getNode(), `Unknown provider "${String(provider)}"`, { description: `Choose one of: ${PROVIDERS.join(', ')}` });
	}
	const op = resource === 'job' ? operations[operation] : undefined;
	if (!op) throw new NodeOperationError(this.getNode(), `The operation "${operation}" of resource "${resource}" is not supported`);
	if (operation === 'getAll' && !LISTING_PROVIDERS.includes(provider)) {
		throw new NodeOperationError(this.getNode(), `${providerName(provider)} has no way to list jobs`, {
			description: 'Keep the job IDs that Create outputs (e.g. in a table) and use Get or Wait with them',
		});
	}

	const stop = new AbortController();
	const cancel = this.getExecutionCancelSignal?.();
	const signal = cancel ? AbortSignal.any([cancel, stop.signal]) : stop.signal;
	const created = new Map<number, string>();
	const context: OperationContext = {
		provider,
		signal,
		client: clientFactory(this, provider),
		created: (i, id) => recordCreatedJobs(this, created.set(i, id)),
	};
	const continueOnFail = this.continueOnFail();
	const parallel = WAITING_OPERATIONS.includes(operation) ? Math.max(1, Math.min(20, Math.floor(Number(readOptions(this, 0).parallel ?? 4)) || 1)) : 1;

	const results: Array<{ items: INodeExecutionData[] } | { error: unknown }> = new Array(items.length);
	let failure: { itemIndex: number; error: unknown } | undefined;
	let next = 0;
	const worker = async () => {
		while (next < items.length && !signal.aborted) {
			const itemIndex = next++;
			const outcome = await settle(op.execute.call(this, itemIndex, context));
			if (outcome.ok) results[itemIndex] = { items: outcome.value };
			else {
				results[itemIndex] = { error: outcome.error };
				if (!continueOnFail && !failure) {
					failure = { itemIndex, error: outcome.error };
					stop.abort();
				}
			}
		}
	};
	await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, worker));

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
		else output.push({ json: { error: errorJson(result.error) }, pairedItem: { item: itemIndex } });
	});
	return [output];
}

/** "Jobs created by this run that keep running at the provider", for error descriptions. */
function createdNote(created: Map<number, string>, except?: number): string | undefined {
	const list = [...created].filter(([i]) => i !== except).map(([i, id]) => `${id} (item ${i})`);
	return list.length ? `Jobs this node created in this run, which keep running at the provider: ${list.join(', ')}` : undefined;
}

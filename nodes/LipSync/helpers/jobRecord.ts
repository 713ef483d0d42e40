import type { IExecuteFunctions } from 'n8n-workflow';
import { providerName, type ProviderId } from '../../../src';

/**
 * Where a created job's id is kept beyond the execution, so a crash, a Stop or a killed worker cannot lose it:
 * one info line per job in n8n's log, and the execution's custom data (Executions list > the execution >
 * "Custom data", and filterable there). n8n allows 10 custom data keys per execution (key 50 characters, value
 * 255 before it complains): the ids go into at most 4 keys, the rest is counted in one more; the log has them all.
 */
export const CUSTOM_DATA_KEYS = ['lipsync_jobs', 'lipsync_jobs_2', 'lipsync_jobs_3', 'lipsync_jobs_4'];
export const CUSTOM_DATA_MORE_KEY = 'lipsync_jobs_more';
const MAX_VALUE = 255;

interface CustomData {
	set(key: string, value: string): void;
	get(key: string): string | undefined;
}

function customDataOf(ctx: IExecuteFunctions, itemIndex: number): CustomData | undefined {
	try {
		return (ctx.getWorkflowDataProxy(itemIndex).$execution as { customData?: CustomData } | undefined)?.customData;
	} catch {
		return undefined;
	}
}

/** Records a job the moment it is created: a log line and the execution's custom data. Never throws. */
export function recordCreatedJob(ctx: IExecuteFunctions, itemIndex: number, provider: ProviderId, jobId: string): void {
	const node = ctx.getNode().name;
	const executionId = ctx.getExecutionId?.();
	const workflowId = ctx.getWorkflow?.().id;
	try {
		ctx.logger.info(`Lip Sync: created ${providerName(provider)} job ${jobId} (workflow ${workflowId ?? '?'}, execution ${executionId ?? '?'}, node "${node}", item ${itemIndex})`, {
			provider,
			jobId,
			executionId,
			workflowId,
			node,
			itemIndex,
		});
	} catch {
		// a logger that fails must not fail the create
	}
	const data = customDataOf(ctx, itemIndex);
	if (!data) return;
	try {
		for (const key of CUSTOM_DATA_KEYS) {
			const current = data.get(key) ?? '';
			const next = current ? `${current},${jobId}` : jobId;
			if (next.length <= MAX_VALUE) {
				data.set(key, next);
				return;
			}
		}
		data.set(CUSTOM_DATA_MORE_KEY, String(Number(data.get(CUSTOM_DATA_MORE_KEY) ?? 0) + 1));
	} catch {
		// custom data full (10 keys) or not supported here: the log line has the id
	}
}

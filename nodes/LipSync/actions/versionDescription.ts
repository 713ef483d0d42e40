import type { INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import { authenticationProperty, providerProperty, showRulesAsHideRules, subtitleExpression } from './common.descriptions';
import * as job from './job';
import * as speech from './speech';
import * as voice from './voice';

/**
 * Version 1 of the node: what it takes and does (parameters, connections). The node's identity (name, icon,
 * subtitle) and its credentials are in LipSync.node.ts, as n8n's versioned nodes split base and version descriptions.
 */
export const versionDescription = {
	version: [1],
	defaults: { name: 'Lip Sync' },
	inputs: [NodeConnectionTypes.Main],
	outputs: [NodeConnectionTypes.Main],
	hints: [
		{
			message:
				'Lip-sync jobs often take several minutes. "Create and Wait" holds this execution until the video is ready; for very long jobs use "Create", store the job ID, and "Wait" or "Get" later.',
			type: 'info',
			location: 'outputPane',
			whenToDisplay: 'beforeExecution',
			displayCondition: '={{ $parameter["operation"] === "createAndWait" }}',
		},
	],
	// The storage switch is what the storage credential depends on: its rules are hide-rules (see
	// authenticationProperty for why).
	properties: showRulesAsHideRules(
		[
			authenticationProperty,
			providerProperty,
			{
				displayName: 'Resource',
				name: 'resource',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'Job', value: 'job', description: 'A lip-sync render at the provider' },
					{ name: 'Speech', value: 'speech', description: 'Text to speech (Fish Audio)' },
					{ name: 'Voice', value: 'voice', description: 'The voices of the account, and voice cloning (Fish Audio)' },
				],
				default: 'job',
			},
			...job.description,
			...speech.description,
			...voice.description,
		],
		['useStorage'],
	),
} satisfies Partial<INodeTypeDescription>;

/** Every operation's name by value, from the operation selectors of every resource. */
const operationNames = Object.fromEntries(
	versionDescription.properties
		.filter((p) => p.name === 'operation')
		.flatMap((p) => (p.options ?? []).map((o) => ('value' in o ? [String(o.value), o.name] : ['', ''])))
		.filter(([value]) => value !== ''),
);

export const subtitle = subtitleExpression(operationNames);

/**
 * Runs workflows through n8n's real execution engine (n8n-core WorkflowExecute) with our BUILT package loaded by
 * n8n's own PackageDirectoryLoader, as a community install would load it. A port of n8n's unpublished
 * NodeTestHarness down to public exports (see ../shared/notes/runtimes.md, section 2); provider traffic goes over
 * real HTTP to the sandbox. Run `npm run build` first: the loader reads dist/ through package.json's "n8n" key.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as N8nCore from 'n8n-core';
import type * as N8nWorkflow from 'n8n-workflow';
import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	ICredentialType,
	IHttpRequestOptions,
	INode,
	INodeCredentialTestResult,
	INodeExecutionData,
	INodeType,
	IRun,
	IWorkflowExecuteAdditionalData,
	Workflow as WorkflowType,
} from 'n8n-workflow';
import { PKG_ROOT } from './paths';

export { PKG_ROOT };

// n8n-core writes an instance key under $N8N_USER_FOLDER/.n8n as soon as it is loaded: point it at a tmp dir first.
const userFolder = mkdtempSync(join(tmpdir(), 'lipsync-n8n-engine-'));
process.env.N8N_USER_FOLDER = userFolder;
/** Removes the temporary n8n user folder (call at the end of a test file). */
export const removeUserFolder = () => rmSync(userFolder, { recursive: true, force: true });
const require = createRequire(import.meta.url);
const core = require('n8n-core') as typeof N8nCore;
const wf = require('n8n-workflow') as typeof N8nWorkflow;

export const PACKAGE_NAME = (require(join(PKG_ROOT, 'package.json')) as { name: string }).name;
export const NODE_TYPE = `${PACKAGE_NAME}.lipSync`;

class ManualTrigger implements INodeType {
	description = {
		displayName: 'Manual',
		name: 'manualTrigger',
		group: ['trigger'],
		version: 1,
		description: '',
		defaults: { name: 'Start' },
		inputs: [],
		outputs: ['main'],
		properties: [],
	} as unknown as INodeType['description'];

	async execute(this: N8nWorkflow.IExecuteFunctions) {
		return [this.getInputData()];
	}
}

interface Loaded {
	nodeTypes: Record<string, INodeType>;
	credentialTypes: Record<string, ICredentialType>;
}
let loaded: Promise<Loaded> | undefined;

/** Loads the built package once per test file, with n8n's real loader. */
export function loadPackage(): Promise<Loaded> {
	loaded ??= (async () => {
		const loader = new core.PackageDirectoryLoader(PKG_ROOT);
		await loader.loadAll();
		const nodeTypes: Record<string, INodeType> = { 'n8n-nodes-base.manualTrigger': new ManualTrigger() };
		for (const [name, { type }] of Object.entries(loader.nodeTypes)) nodeTypes[`${loader.packageName}.${name}`] = type as INodeType;
		const credentialTypes: Record<string, ICredentialType> = {};
		for (const [name, { type }] of Object.entries(loader.credentialTypes)) credentialTypes[name] = type;
		return { nodeTypes, credentialTypes };
	})();
	return loaded;
}

function nodeTypesOf(types: Record<string, INodeType>) {
	return {
		getByName: (t: string) => types[t]!,
		getByNameAndVersion: (t: string, v?: number) => wf.NodeHelpers.getVersionedNodeType(types[t]!, v),
		getKnownTypes: () => Object.fromEntries(Object.keys(types).map((k) => [k, { className: k, sourcePath: '' }])),
	};
}

/**
 * n8n's CredentialsHelper reduced to what a run needs: decrypted data from `credentials`, and the credential's
 * own `authenticate` block applied the way the CLI applies a generic one (expressions resolved with $credentials).
 */
function credentialsHelper(credentialTypes: Record<string, ICredentialType>, credentials: Record<string, ICredentialDataDecryptedObject>) {
	return {
		getParentTypes: () => [],
		preAuthentication: async () => undefined,
		runPreAuthentication: async () => undefined,
		getDecrypted: async (_ad: unknown, _nodeCredentials: unknown, type: string) => credentials[type] ?? {},
		authenticate: async (creds: ICredentialDataDecryptedObject, typeName: string, request: IHttpRequestOptions, workflow: WorkflowType, node: INode) => {
			const auth = credentialTypes[typeName]?.authenticate;
			if (typeof auth === 'function') return await auth(creds, request);
			if (auth?.type === 'generic') {
				const resolve = (v: unknown) =>
					typeof v === 'string' && wf.isExpression(v)
						? String(workflow.expression.getSimpleParameterValue(node, v, 'internal', { $credentials: creds }, undefined, '') ?? '')
						: v;
				for (const [target, values] of Object.entries(auth.properties)) {
					const bag = ((request as unknown as Record<string, Record<string, unknown>>)[target] ??= {});
					for (const [k, v] of Object.entries(values as Record<string, unknown>)) bag[String(resolve(k))] = resolve(v);
				}
			}
			return request;
		},
	};
}

function additionalData(hooks: N8nCore.ExecutionLifecycleHooks, helper: ReturnType<typeof credentialsHelper>): IWorkflowExecuteAdditionalData {
	return {
		hooks,
		executionId: '1',
		variables: {},
		currentNodeParameters: undefined,
		credentialsHelper: helper,
		restApiUrl: 'http://127.0.0.1/rest',
		instanceBaseUrl: 'http://127.0.0.1/',
		webhookBaseUrl: 'http://127.0.0.1/webhook',
		webhookWaitingBaseUrl: '',
		webhookTestBaseUrl: '',
		formWaitingBaseUrl: '',
	} as unknown as IWorkflowExecuteAdditionalData;
}

export interface NodeRunOptions {
	/** The Lip Sync node's parameters. */
	parameters: Record<string, unknown>;
	/** Decrypted credential data by credential type, e.g. { lipSyncKitAkoolApi: { apiKey, baseUrl } }. */
	credentials?: Record<string, ICredentialDataDecryptedObject>;
	/** Items fed into the node. */
	input?: INodeExecutionData[];
	continueOnFail?: boolean;
	/** The node's "On Error" setting (overrides continueOnFail), e.g. 'continueErrorOutput' for an error output. */
	onError?: 'stopWorkflow' | 'continueRegularOutput' | 'continueErrorOutput';
	/** n8n's public URL for resuming waiting executions ($execution.resumeUrl = <this>/<execution id>). */
	webhookWaitingBaseUrl?: string;
}

export interface NodeRun {
	run: IRun;
	status: IRun['status'];
	/** The node's output items (first output). */
	items: INodeExecutionData[];
	/** The node's error output (On Error: Continue (using error output)). */
	errorItems: INodeExecutionData[];
	/** The node's error, when the node failed. */
	error?: N8nWorkflow.ExecutionBaseError & { description?: string; httpCode?: string | null; context?: Record<string, unknown> };
}

export interface Execution {
	/** Resolves when n8n reports the run as finished (on a cancel: at once, as n8n does). */
	finished: Promise<NodeRun>;
	/** Resolves when the engine itself is done, i.e. after the node's execute() has returned or thrown. */
	settled: Promise<NodeRun>;
	cancel(): void;
}

const NODE_NAME = 'Lip Sync';

/** Starts Start -> Lip Sync in n8n's engine. */
export async function startNode(options: NodeRunOptions): Promise<Execution> {
	const { nodeTypes, credentialTypes } = await loadPackage();
	const credentialRefs = Object.fromEntries(Object.keys(options.credentials ?? {}).map((type) => [type, { id: `cred-${type}`, name: type }]));
	const nodes: INode[] = [
		{ id: 'start', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
		{
			id: 'lipsync',
			name: NODE_NAME,
			type: NODE_TYPE,
			typeVersion: 1,
			position: [200, 0],
			parameters: options.parameters as INode['parameters'],
			credentials: credentialRefs,
			...(options.continueOnFail ? { onError: 'continueRegularOutput' as const } : {}),
			...(options.onError ? { onError: options.onError } : {}),
		},
	];
	const connections = { Start: { main: [[{ node: NODE_NAME, type: 'main' as const, index: 0 }]] } };
	const workflow = new wf.Workflow({ id: 'test', nodes, connections, nodeTypes: nodeTypesOf(nodeTypes), active: false, settings: {} });
	const hooks = new core.ExecutionLifecycleHooks('manual', '1', { id: 'test', nodes, connections } as never);
	const finished = wf.createDeferredPromise<IRun>();
	// n8n reports the run to the hooks at once when it is cancelled (the UI shows "canceled" right away).
	hooks.addHandler('workflowExecuteAfter', (run: IRun) => finished.resolve(run));
	const data = additionalData(hooks, credentialsHelper(credentialTypes, options.credentials ?? {}));
	if (options.webhookWaitingBaseUrl !== undefined) data.webhookWaitingBaseUrl = options.webhookWaitingBaseUrl;
	const start = workflow.getStartNode() ?? workflow.getNode('Start')!;
	const runExecutionData = {
		resultData: { runData: {} },
		executionData: {
			contextData: {},
			metadata: {},
			waitingExecution: {},
			waitingExecutionSource: null,
			nodeExecutionStack: [{ node: start, data: { main: [options.input ?? [{ json: {} }]] }, source: null }],
		},
	};
	const execute = new core.WorkflowExecute(data, 'manual', runExecutionData as never);
	const running = execute.processRunExecutionData(workflow);
	return {
		finished: finished.promise.then(summarize),
		// The engine's own promise resolves only once the node's execute() has returned or thrown, also after a cancel.
		settled: Promise.resolve(running).then(summarize),
		cancel: () => running.cancel(),
	};
}

/** Runs Start -> Lip Sync to the end and returns the node's output or error. */
export async function runNode(options: NodeRunOptions): Promise<NodeRun> {
	return await (await startNode(options)).settled;
}

function summarize(run: IRun): NodeRun {
	const task = run.data.resultData.runData[NODE_NAME]?.[0];
	return {
		run,
		status: run.status,
		items: task?.data?.main?.[0] ?? [],
		errorItems: task?.data?.main?.[1] ?? [],
		error: (task?.error ?? run.data.resultData.error) as NodeRun['error'],
	};
}

/**
 * Runs a credential type's `test` the way n8n's CredentialsTester does: the test request goes through n8n's
 * RoutingNode with the credential applied, then its rules are checked (non-2xx fails; a `responseSuccessBody`
 * rule fails when the body has the given value at the given key).
 */
export async function testCredential(type: string, data: ICredentialDataDecryptedObject): Promise<INodeCredentialTestResult> {
	const { credentialTypes } = await loadPackage();
	const credentialType = credentialTypes[type];
	if (!credentialType?.test) throw new Error(`credential type ${type} has no test`);
	const testRequest = credentialType.test;
	const nodeType: INodeType = {
		description: {
			displayName: 'Temp',
			name: 'temp',
			group: ['transform'],
			version: 1,
			description: '',
			defaults: {},
			inputs: ['main'],
			outputs: ['main'],
			credentials: [{ name: type, required: true }],
			properties: [{ displayName: 'Temp', name: 'temp', type: 'string', routing: { request: testRequest.request }, default: '' }],
		} as unknown as INodeType['description'],
	};
	const node: INode = { id: 'temp', name: 'Temp-Node', type: 'temp', typeVersion: 1, position: [0, 0], parameters: {}, credentials: { [type]: { id: 'c1', name: type } } };
	const workflow = new wf.Workflow({ nodes: [node], connections: {}, active: false, nodeTypes: nodeTypesOf({ temp: nodeType }) });
	const hooks = new core.ExecutionLifecycleHooks('internal', '1', { id: 'test', nodes: [node], connections: {} } as never);
	const additional = additionalData(hooks, credentialsHelper(credentialTypes, { [type]: data }));
	const runExecutionData = { resultData: { runData: {} } };
	const context = new core.ExecuteContext(workflow, node, additional, 'internal', runExecutionData as never, 0, [], { main: [[{ json: {} }]] }, { node, data: {}, source: null } as never, []);
	const routing = new core.RoutingNode(context, nodeType, { id: 'c1', name: type, type, data });
	let response: INodeExecutionData[][] | null | undefined;
	try {
		response = await routing.runNode();
	} catch (error) {
		const e = error as { cause?: { response?: { status: number; statusText?: string }; code?: string }; message: string };
		if (e.cause?.response) {
			const status = e.cause.response.status;
			for (const rule of testRequest.rules ?? []) {
				if (rule.type === 'responseCode' && rule.properties.value === status) return { status: 'Error', message: rule.properties.message };
			}
			if (status < 199 || status > 299) return { status: 'Error', message: e.cause.response.statusText || `Received HTTP status code: ${status}` };
		} else if (e.cause?.code) return { status: 'Error', message: e.cause.code };
		return { status: 'Error', message: e.message };
	}
	for (const rule of testRequest.rules ?? []) {
		if (rule.type !== 'responseSuccessBody') continue;
		const body = response?.[0]?.[0]?.json as Record<string, unknown> | undefined;
		const value = rule.properties.key.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], body);
		if (value === rule.properties.value) return { status: 'Error', message: rule.properties.message };
	}
	return { status: 'OK', message: 'Connection successful!' };
}

/**
 * Resumes a run that ended waiting (putExecutionToWait) the way n8n's wait tracker does when its time is up: the
 * same execution data through a new WorkflowExecute, which passes the waiting node's saved input on.
 */
export async function resumeWaitingRun(waiting: NodeRun, options: NodeRunOptions): Promise<NodeRun> {
	const { nodeTypes, credentialTypes } = await loadPackage();
	const nodes: INode[] = [
		{ id: 'start', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
		{ id: 'lipsync', name: NODE_NAME, type: NODE_TYPE, typeVersion: 1, position: [200, 0], parameters: options.parameters as INode['parameters'] },
	];
	const connections = { Start: { main: [[{ node: NODE_NAME, type: 'main' as const, index: 0 }]] } };
	const workflow = new wf.Workflow({ id: 'test', nodes, connections, nodeTypes: nodeTypesOf(nodeTypes), active: false, settings: {} });
	const hooks = new core.ExecutionLifecycleHooks('manual', '1', { id: 'test', nodes, connections } as never);
	const data = additionalData(hooks, credentialsHelper(credentialTypes, options.credentials ?? {}));
	const execute = new core.WorkflowExecute(data, 'manual', structuredClone(waiting.run.data) as never);
	return summarize(await execute.processRunExecutionData(workflow));
}

/** Calls a node type's webhook() through n8n-core's real WebhookContext with a request body; returns its answer. */
export async function callWebhook(options: {
	nodeType: string;
	parameters: Record<string, unknown>;
	credentials: Record<string, ICredentialDataDecryptedObject>;
	body: unknown;
	webhookDescription: Record<string, unknown>;
}): Promise<{ result: N8nWorkflow.IWebhookResponseData; status?: number; sent?: unknown; warnings: string[] }> {
	const { nodeTypes, credentialTypes } = await loadPackage();
	const node: INode = {
		id: 'hook',
		name: 'Hook',
		type: options.nodeType,
		typeVersion: 1,
		position: [0, 0],
		parameters: options.parameters as INode['parameters'],
		credentials: Object.fromEntries(Object.keys(options.credentials).map((t) => [t, { id: `cred-${t}`, name: t }])),
	};
	const workflow = new wf.Workflow({ id: 'hookflow', nodes: [node], connections: {}, nodeTypes: nodeTypesOf(nodeTypes), active: false, settings: {} });
	const hooks = new core.ExecutionLifecycleHooks('webhook', '1', { id: 'hookflow', nodes: [node], connections: {} } as never);
	const data = additionalData(hooks, credentialsHelper(credentialTypes, options.credentials)) as IWorkflowExecuteAdditionalData & Record<string, unknown>;
	const answer: { status?: number; sent?: unknown } = {};
	const res = {
		status(code: number) {
			answer.status = code;
			return res;
		},
		json(body: unknown) {
			answer.sent = body;
			return res;
		},
		end() {
			return res;
		},
	};
	data.httpRequest = { body: options.body, headers: { 'content-type': 'application/json' }, query: {}, params: {} };
	data.httpResponse = res;
	const warnings: string[] = [];
	const webhookData = { httpMethod: 'POST', node: node.name, path: '', webhookDescription: options.webhookDescription, workflowId: 'hookflow' };
	const context = new core.WebhookContext(workflow, node, data, 'webhook', webhookData as never, [], null);
	// n8n's logger goes to the process log; the test reads what the node logs at warn and error level.
	const logger = { warn: (m: string) => warnings.push(m), error: (m: string) => warnings.push(m), info: () => {}, debug: () => {} };
	Object.defineProperty(context, 'logger', { value: logger });
	const type = wf.NodeHelpers.getVersionedNodeType(nodeTypes[options.nodeType]!, 1);
	const result = await type.webhook!.call(context as never);
	return { result, ...answer, warnings };
}

export const TRIGGER_TYPE = `${PACKAGE_NAME}.lipSyncTrigger`;

export interface PollOptions {
	parameters: Record<string, unknown>;
	credentials?: Record<string, ICredentialDataDecryptedObject>;
	/** The workflow's static data as n8n keeps it in the database (carried from poll to poll, and across a restart). */
	staticData?: IDataObject;
	/** 'trigger' for a published workflow; 'manual' for "Fetch Test Event". */
	mode?: 'trigger' | 'manual';
}

/** Calls the Lip Sync Trigger's poll() the way n8n's ActiveWorkflows does, in a PollContext of n8n's own. */
export async function pollTrigger(options: PollOptions): Promise<{ items: INodeExecutionData[]; staticData: IDataObject }> {
	const { nodeTypes, credentialTypes } = await loadPackage();
	const credentialRefs = Object.fromEntries(Object.keys(options.credentials ?? {}).map((type) => [type, { id: `cred-${type}`, name: type }]));
	const node: INode = {
		id: 'trigger',
		name: 'Lip Sync Trigger',
		type: TRIGGER_TYPE,
		typeVersion: 1,
		position: [0, 0],
		parameters: options.parameters as INode['parameters'],
		credentials: credentialRefs,
	};
	const staticData = options.staticData ?? {};
	const workflow = new wf.Workflow({ id: 'test', nodes: [node], connections: {}, nodeTypes: nodeTypesOf(nodeTypes), active: true, settings: {}, staticData });
	const hooks = new core.ExecutionLifecycleHooks('trigger', '1', { id: 'test', nodes: [node], connections: {} } as never);
	const data = additionalData(hooks, credentialsHelper(credentialTypes, options.credentials ?? {}));
	const context = new core.PollContext(workflow, workflow.getNode(node.name)!, data, options.mode ?? 'trigger', 'activate');
	const type = nodeTypes[TRIGGER_TYPE]!;
	const result = await type.poll!.call(context as never);
	// n8n saves the static data with the workflow after a poll; a plain copy is what a restart reads back.
	return { items: result?.[0] ?? [], staticData: JSON.parse(JSON.stringify(workflow.staticData)) };
}

/**
 * Runs one of the node's listSearch methods (a resource locator's "From List") the way the editor does: n8n's
 * LoadOptionsContext on the node with `parameters` as the current parameters, credentials from `credentials`.
 */
export async function searchList(method: string, options: { parameters: Record<string, unknown>; credentials: Record<string, ICredentialDataDecryptedObject>; filter?: string }) {
	const { nodeTypes, credentialTypes } = await loadPackage();
	const nodeType = nodeTypes[NODE_TYPE]!;
	const credentialRefs = Object.fromEntries(Object.keys(options.credentials).map((type) => [type, { id: `cred-${type}`, name: type }]));
	const node: INode = { id: 'lipsync', name: NODE_NAME, type: NODE_TYPE, typeVersion: 1, position: [0, 0], parameters: options.parameters as INode['parameters'], credentials: credentialRefs };
	const workflow = new wf.Workflow({ id: 'test', nodes: [node], connections: {}, nodeTypes: nodeTypesOf(nodeTypes), active: false, settings: {} });
	const hooks = new core.ExecutionLifecycleHooks('manual', '1', { id: 'test', nodes: [node], connections: {} } as never);
	const data = additionalData(hooks, credentialsHelper(credentialTypes, options.credentials));
	data.currentNodeParameters = options.parameters as never;
	const context = new core.LoadOptionsContext(workflow, node, data, '');
	const fn = nodeType.methods?.listSearch?.[method];
	if (!fn) throw new Error(`the node has no listSearch method ${method}`);
	return await fn.call(context as never, options.filter);
}

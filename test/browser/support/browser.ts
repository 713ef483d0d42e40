/**
 * Headless Chromium for the editor tests: Debian's `chromium` package (no browser download is possible here),
 * driven by playwright-core. In CI a missing browser fails the suite; locally the suites skip and say why.
 * Every test page keeps a screenshot under .ci/results/ when its test fails.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { PKG_ROOT } from '../../n8n/support/paths';

export const CHROMIUM = process.env.LIPSYNC_CHROMIUM ?? '/usr/bin/chromium';
export const inCi = process.env.CI === 'true' || process.env.CI === '1';
export const RESULTS = join(PKG_ROOT, '.ci', 'results');

/** Why the browser tests cannot run, or undefined. */
export function browserMissing(): string | undefined {
	return existsSync(CHROMIUM) ? undefined : `no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set LIPSYNC_CHROMIUM)`;
}

export interface BrowserSession {
	browser: Browser;
	context: BrowserContext;
	page: Page;
	close(): Promise<void>;
	/** Saves a full-page screenshot as .ci/results/<name>.png and returns the path. */
	screenshot(name: string): Promise<string>;
}

export async function openBrowser(): Promise<BrowserSession> {
	// launch() gives every browser a fresh, temporary profile of its own (the --user-data-dir of the notes).
	const browser = await chromium.launch({
		executablePath: CHROMIUM,
		headless: true,
		args: [
			'--no-sandbox',
			'--disable-gpu',
			'--disable-quic',
			'--no-first-run',
			'--disable-background-networking',
			'--disable-component-update',
			'--disable-sync',
			'--disable-dev-shm-usage',
		],
		timeout: 60_000,
	});
	const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
	context.setDefaultTimeout(30_000);
	const page = await context.newPage();
	return {
		browser,
		context,
		page,
		async close() {
			await browser.close().catch(() => undefined);
		},
		async screenshot(name: string) {
			mkdirSync(RESULTS, { recursive: true });
			const file = join(RESULTS, `${name.replace(/[^a-z0-9._-]+/gi, '-')}.png`);
			await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
			return file;
		},
	};
}

/**
 * Runs one user story on the page; on failure keeps a screenshot (and says where) before rethrowing.
 */
export async function story<T>(session: BrowserSession, name: string, fn: () => Promise<T>): Promise<T> {
	try {
		return await fn();
	} catch (error) {
		const file = await session.screenshot(name);
		if (error instanceof Error) error.message += `\n(screenshot: ${file})`;
		throw error;
	}
}

/**
 * What a user does in n8n's node panel, as Playwright steps (n8n marks its controls with data-test-id).
 * Works on the n8n 2.8 and 2.41 editors.
 */
import type { Locator, Page } from 'playwright-core';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Waits until no dropdown list is open (a closing one still counts as visible for a moment). */
export async function dropdownsClosed(page: Page): Promise<void> {
	for (let i = 0; i < 200; i++) {
		if ((await page.locator('.el-select-dropdown__item:visible').count()) === 0) return;
		await page.waitForTimeout(50);
	}
	throw new Error('a dropdown list stayed open');
}

/** The input of a parameter, as n8n renders it (parameter-input-<name>). */
export const parameter = (page: Page, name: string): Locator => page.getByTestId(`parameter-input-${name}`);

/** The value an options parameter shows. */
export async function shownValue(page: Page, name: string): Promise<string> {
	return await parameter(page, name).locator('input').first().inputValue();
}

/** The option names an options parameter offers, in order (headline only, not the description). */
export async function offered(page: Page, name: string): Promise<string[]> {
	await dropdownsClosed(page);
	await parameter(page, name).click();
	const items = page.locator('.el-select-dropdown__item:visible');
	await items.first().waitFor();
	const names = await items.evaluateAll((els) => els.map((e) => (e.querySelector('.option-headline') ?? e).textContent!.trim()));
	await page.keyboard.press('Escape');
	await dropdownsClosed(page);
	return names;
}

/** Opens an options parameter and picks the option with this name; waits until the panel shows it. */
export async function choose(page: Page, name: string, label: string): Promise<void> {
	await dropdownsClosed(page);
	await parameter(page, name).click();
	const exact = new RegExp(`^\\s*${escape(label)}\\s*$`);
	const items = page.locator('.el-select-dropdown__item:visible');
	await items
		.filter({ has: page.locator('.option-headline', { hasText: exact }) })
		.or(items.filter({ hasText: exact }))
		.first()
		.click();
	for (let i = 0; i < 100 && (await shownValue(page, name)) !== label; i++) await page.waitForTimeout(50);
	if ((await shownValue(page, name)) !== label) throw new Error(`${name} shows "${await shownValue(page, name)}", not "${label}"`);
	await dropdownsClosed(page);
}

/** Types into a text parameter (replacing what is there). */
export async function type(page: Page, name: string, value: string): Promise<void> {
	await parameter(page, name).locator('input, textarea').first().fill(value);
}

/** The names of the parameters the open node panel shows, top to bottom. */
export async function shownParameters(page: Page): Promise<string[]> {
	const ids = await page
		.getByTestId('node-parameters')
		.locator('[data-test-id^="parameter-input-"]:visible')
		.evaluateAll((els) => els.map((e) => e.getAttribute('data-test-id')!.slice('parameter-input-'.length)));
	return [...new Set(ids.filter((n) => n !== 'field' && n !== 'item'))];
}

/** Picks a saved credential by name in the panel's first (or given) credential selector. */
export async function pickCredential(page: Page, name: string, index = 0): Promise<void> {
	await dropdownsClosed(page);
	await page.getByTestId('node-credentials-select').nth(index).click();
	await page.locator('.el-select-dropdown__item:visible', { hasText: name }).first().click();
	await dropdownsClosed(page);
}

/** Closes the node panel (the button at its top right). */
export async function closePanel(page: Page): Promise<void> {
	await page.locator('[data-test-id="ndv-close-button"], [data-test-id="back-to-canvas"]').first().click();
	await page.getByTestId('ndv').waitFor({ state: 'hidden' }).catch(() => undefined);
}

/** Opens a node's panel from the canvas (a double-click on it), unless it is open already. */
export async function openPanel(page: Page, nodeName: string): Promise<void> {
	if (await page.getByTestId('node-parameters').isVisible()) return;
	await page.getByTestId('canvas-node').filter({ hasText: nodeName }).first().dblclick();
	await page.getByTestId('node-parameters').waitFor();
}

/** Locations of the n8n tooling that scripts/setup/30-n8n-cli.sh installs, and the "missing tool" policy. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PKG_ROOT } from './paths';

export const EXTRAS = join(PKG_ROOT, '.ci', 'extras');
export const inCi = process.env.CI === 'true' || process.env.CI === '1';

/**
 * Why a tool is unusable, or undefined when it is there. In CI a missing tool must fail the suite (the setup
 * step is part of .ci/run); locally the tests skip with this message.
 */
export function missing(paths: string[], what: string): string | undefined {
	const absent = paths.filter((p) => !existsSync(p));
	return absent.length ? `${what} is not installed (${absent.join(', ')}): run bash scripts/setup/30-n8n-cli.sh` : undefined;
}

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

/** Flags for headless Chromium on a machine without a GPU or network (Debian's chromium, driven by playwright-core). */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

const ENSURE = 'bash examples/web/scripts/ensure-chromium.sh';

/**
 * The Chromium executable: `$CHROMIUM_PATH`, else `chromium` (Debian) or `chromium-browser` on the PATH.
 * @throws Error telling how to install it (`npx playwright install` does not work offline).
 */
export function findChromium(): string {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH=${fromEnv} does not exist: fix it, or unset it and run \`${ENSURE}\``);
    return fromEnv;
  }
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      const found = execFileSync('which', [name], { encoding: 'utf8' }).trim();
      if (found) return found;
    } catch {
      // not on the PATH
    }
  }
  throw new Error(`Chromium is not installed: run \`${ENSURE}\` (installs Debian's chromium with apt-get), or set CHROMIUM_PATH`);
}

/** Launches headless Chromium with a fresh profile; `close()` also deletes the profile. */
export async function launchChromium(): Promise<{ context: BrowserContext; executable: string; close(): Promise<void> }> {
  const executable = findChromium();
  const profile = await mkdtemp(join(tmpdir(), 'reacgan-web-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: executable,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: { width: 1100, height: 860 },
      timeout: 30_000,
    });
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw new Error(`cannot start ${executable} (${(error as Error).message.split('\n')[0]}); run \`${ENSURE}\` to (re)install it`);
  }
  return {
    context,
    executable,
    async close() {
      await context.close().catch(() => {});
      await rm(profile, { recursive: true, force: true });
    },
  };
}

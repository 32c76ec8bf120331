/** `node --import ./dist/register-hooks.js …`: installs {@link ./esm-hooks.ts}. */
import { register } from 'node:module';

register('./esm-hooks.js', import.meta.url);

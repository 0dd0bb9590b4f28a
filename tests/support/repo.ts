/** This repository's root folder (with a trailing separator), for paths the tests name from there. */
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

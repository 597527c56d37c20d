/**
 * The swap worker that @fslsd/web ships: `createFaceSwapper()` starts it with
 * `new Worker(new URL('./worker-entry.js', import.meta.url), { type: 'module' })`, a form that
 * Vite, webpack 5, Rollup and esbuild-based bundlers follow, so an app writes no worker file.
 */
import { exposeSwapper } from './worker.js';

exposeSwapper(self as unknown as Parameters<typeof exposeSwapper>[0]);

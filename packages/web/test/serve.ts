/**
 * The built demo over HTTP for the browser tests: cross-origin isolated like the README asks,
 * on 127.0.0.1 only, files streamed (a full-size pSp is a gigabyte). Extra folders are mounted
 * under a path prefix (checkpoints, architectures, a model set served beside the page).
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const site = path.join(root, 'examples', 'web', 'dist');

const TYPES: Record<string, string> = { '.jpg': 'image/jpeg', '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.json': 'application/json', '.png': 'image/png', '.onnx': 'application/octet-stream' };

/**
 * Serves the demo at `/`, and each folder `mounts()` names at its prefix (`checkpoint-test/`),
 * asked again per request so a test can mount folders as it goes.
 */
export async function serveDemo(mounts: () => Readonly<Record<string, string>> = () => ({})): Promise<{ server: Server; base: string }> {
  const server = createServer((request, response) => {
    const relative = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname).replace(/^\/+/, '') || 'index.html';
    const mount = Object.entries(mounts()).find(([prefix]) => relative.startsWith(prefix));
    const folder = mount ? mount[1] : site;
    const file = path.resolve(folder, mount ? relative.slice(mount[0].length) : relative);
    if (!file.startsWith(folder) || !existsSync(file) || !statSync(file).isFile()) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, {
      'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'content-length': statSync(file).size,
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-embedder-policy': 'require-corp',
    });
    createReadStream(file).pipe(response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

import type { ModelCache } from '@fslsd/models';

/**
 * Models cached with the Cache API, keyed by sha256, so a second visit loads them offline.
 * Entries are only written after verification; a failed write leaves no entry.
 */
export function cacheStorageModelCache(name = 'fslsd-models'): ModelCache | undefined {
  if (typeof caches === 'undefined') return undefined;
  const keyOf = (sha256: string): string => `https://fslsd.invalid/models/${sha256}`;
  return {
    async get(sha256) {
      const response = await (await caches.open(name)).match(keyOf(sha256));
      return response ? new Uint8Array(await response.arrayBuffer()) : undefined;
    },
    async put(sha256, bytes) {
      await (await caches.open(name)).put(keyOf(sha256), new Response(bytes as Uint8Array<ArrayBuffer>, { headers: { 'content-type': 'application/octet-stream' } }));
    },
  };
}

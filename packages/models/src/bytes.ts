import type { ModelLoadOptions, ModelSet } from '@fslsd/core';
import type { AnyModelId } from '@fslsd/core/graph';
import { type Manifest, manifestEntry, parseManifest } from './manifest.js';
import { checkIntegrity, sha256Hex } from './verify.js';

/**
 * A model set from bytes already in memory: the manifest and each file's bytes by file name.
 * Every model is sha256-checked when it is loaded.
 */
export function modelSetFromBytes(manifestJson: unknown, files: Readonly<Record<string, Uint8Array>>, origin = 'memory'): ModelSet {
  const manifest: Manifest = parseManifest(manifestJson, origin);
  return {
    name: manifest.set,
    entries: manifest.models,
    async load(id: AnyModelId, options: ModelLoadOptions = {}) {
      const entry = manifestEntry(manifest, id, origin);
      options.onProgress?.({ id, status: 'initiate', loaded: 0, total: entry.bytes });
      const bytes = files[entry.file] ?? new Uint8Array(0);
      checkIntegrity(entry, bytes, await sha256Hex(bytes), `${origin}/${entry.file}`);
      options.onProgress?.({ id, status: 'done', loaded: bytes.length, total: entry.bytes });
      return bytes;
    },
  };
}

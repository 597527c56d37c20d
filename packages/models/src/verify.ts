import { FslsdError, type ModelEntry } from '@fslsd/core';

/** Lower-case hex sha256 of `bytes` (WebCrypto: Node 20+ and browsers). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Refuses bytes whose size or sha256 differ from the manifest entry.
 * @throws FslsdError `MODEL_INTEGRITY`
 */
export function checkIntegrity(entry: ModelEntry, bytes: Uint8Array, actualSha256: string, origin: string): void {
  if (bytes.length !== entry.bytes) {
    throw new FslsdError('MODEL_INTEGRITY', `Model "${entry.id}" from ${origin} has ${bytes.length} bytes; the manifest says ${entry.bytes}.`, {
      fix: 'The file is truncated or replaced: delete it and download or export it again.',
    });
  }
  if (actualSha256 !== entry.sha256) {
    throw new FslsdError('MODEL_INTEGRITY', `Model "${entry.id}" from ${origin} has sha256 ${actualSha256}; the manifest says ${entry.sha256}.`, {
      fix: 'The file was modified or corrupted: delete it and download or export it again. fslsd never runs an unverified model.',
    });
  }
}

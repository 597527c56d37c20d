/**
 * API keys. The service never holds a key in clear: a keys file (or the FSLSD_SERVER_KEYS
 * variable) lists `TENANT sha256:HEX` lines, and a request's key is hashed and looked up. The
 * tenant is who owns the jobs created with that key; two keys may share a tenant (rotation).
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ServiceError } from '../errors.js';

/** Hashed API keys: sha256 hex of the key -> tenant. */
export interface KeyRing {
  /** The tenant of `key`, or undefined when it is not a key of this service. */
  tenantOf(key: string): string | undefined;
  /** How many keys are known. */
  readonly size: number;
}

const TENANT = /^[A-Za-z0-9._-]{1,64}$/;
const LINE = /^(\S+)\s+sha256:([0-9a-f]{64})$/;

/** sha256 hex of an API key, as the keys file stores it. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * Parses keys-file text: one `TENANT sha256:HEX` per line (or separated by commas in the
 * environment variable), `#` comments and blank lines ignored.
 * @throws ServiceError `CONFIGURATION` naming the line that is wrong.
 */
export function parseKeys(text: string, origin: string): KeyRing {
  const hashes = new Map<string, string>();
  const lines = text.split(/[\n,]/);
  lines.forEach((raw, index) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) return;
    const match = LINE.exec(line);
    if (!match || !TENANT.test(match[1]!)) {
      throw new ServiceError('CONFIGURATION', 500, `${origin}, entry ${index + 1}: "${line.slice(0, 40)}" is not "TENANT sha256:HEX".`, 'Write one "TENANT sha256:<64 hex digits>" per line (fslsd-server key TENANT prints one); tenants are 1-64 of A-Z a-z 0-9 . _ -.');
    }
    hashes.set(match[2]!, match[1]!);
  });
  return { tenantOf: (key) => hashes.get(hashKey(key)), size: hashes.size };
}

/**
 * The keys of `fslsd-server serve`: from `file` when given, else from $FSLSD_SERVER_KEYS.
 * @throws ServiceError `CONFIGURATION` when there are none (the service never runs open).
 */
export function loadKeys(file: string | undefined, environment: NodeJS.ProcessEnv = process.env): KeyRing {
  let ring: KeyRing;
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new ServiceError('CONFIGURATION', 500, `Cannot read the keys file ${file}: ${(error as Error).message}.`, 'Check the path given to --keys.', { cause: error });
    }
    ring = parseKeys(text, file);
  } else {
    ring = parseKeys(environment.FSLSD_SERVER_KEYS ?? '', 'FSLSD_SERVER_KEYS');
  }
  if (ring.size === 0) {
    throw new ServiceError('CONFIGURATION', 500, 'No API keys are configured, and the service does not run without them.', 'Make one with "fslsd api-key TENANT --keys FILE" (or "fslsd-server key TENANT --keys FILE") and pass the file with --keys FILE, or set FSLSD_SERVER_KEYS.');
  }
  return ring;
}

/** A new random API key (`fsk_` + 32 random bytes, base64url) and its keys-file line. */
export function createKey(tenant: string): { readonly key: string; readonly line: string } {
  if (!TENANT.test(tenant)) {
    throw new ServiceError('CONFIGURATION', 500, `"${tenant}" is not a tenant name.`, 'Use 1-64 of A-Z a-z 0-9 . _ -.');
  }
  const key = `fsk_${randomBytes(32).toString('base64url')}`;
  return { key, line: `${tenant} sha256:${hashKey(key)}` };
}

/**
 * Typed service errors. Every response that is not a success is JSON of one shape,
 * `{ "error": { "code", "message", "fix" } }`: a stable code for programs, a sentence for people,
 * and what to do about it. Never a stack trace.
 */
import type { FslsdErrorCode } from '@fslsd/core';

/** Stable codes of the service's own errors; they never change meaning between versions. */
export type ServiceErrorCode =
  | 'UNAUTHORIZED'
  | 'NOT_FOUND'
  | 'INVALID_REQUEST'
  | 'PAYLOAD_TOO_LARGE'
  | 'TOO_MANY_PIXELS'
  | 'VIDEO_TOO_LONG'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'INVALID_IMAGE'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'NOT_CANCELLABLE'
  | 'CANCELLED'
  | 'RATE_LIMITED'
  | 'QUOTA_EXCEEDED'
  | 'RESULT_NOT_READY'
  | 'RESULT_EXPIRED'
  | 'INPUT_EXPIRED'
  | 'REDIS_UNAVAILABLE'
  | 'CONFIGURATION'
  | 'INTERNAL';

/** The codes a client can meet: the service's own, and the SDK's for a swap that failed in a worker. */
export type ErrorCode = ServiceErrorCode | FslsdErrorCode;

/** The `error` member of every error response, and of a failed swap's status. */
export interface ErrorInfo {
  /** A stable code for programs (`NO_FACE`, `QUOTA_EXCEEDED`, …). */
  readonly code: ErrorCode;
  /** What went wrong, in one sentence for people. */
  readonly message: string;
  /** What the caller can do about it, in one sentence. */
  readonly fix: string;
}

/** The body of every error response. */
export interface ErrorBody {
  /** The error. */
  readonly error: ErrorInfo;
}

/** An error the service answers with: its HTTP status and typed JSON body. */
export class ServiceError extends Error {
  /** The stable code. */
  readonly code: ServiceErrorCode;
  /** The HTTP status it is answered with. */
  readonly status: number;
  /** What the caller can do about it. */
  readonly fix: string;

  constructor(code: ServiceErrorCode, status: number, message: string, fix: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ServiceError';
    this.code = code;
    this.status = status;
    this.fix = fix;
  }

  /** The JSON body this error is answered with. */
  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, fix: this.fix } };
  }
}

/** A failed job's reason, typed: workers store FslsdErrors as JSON. */
export function parseFailure(reason: string | undefined): ErrorInfo {
  if (reason?.startsWith('{')) {
    try {
      const parsed = JSON.parse(reason) as Partial<ErrorInfo>;
      if (typeof parsed.code === 'string' && typeof parsed.message === 'string') return { code: parsed.code, message: parsed.message, fix: parsed.fix ?? 'Check the inputs and try again.' };
    } catch {
      // Not ours: fall through.
    }
  }
  return { code: 'INTERNAL', message: 'The swap failed in a worker.', fix: 'Try again; if it keeps failing, the operator finds the reason in the worker log.' };
}

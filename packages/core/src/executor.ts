/**
 * Runs graphs on the injected runtime and reports every tensor that crosses between
 * JavaScript and a session, so tests (and curious users) can see that feature maps never do.
 */
import { FslsdError } from './errors.js';
import { type ModelProto, encodeModel } from './graph/onnx.js';
import type { InferenceSession, OrtRuntime, RuntimeTensorType, Tensor } from './runtime.js';

/** A tensor at the JavaScript/session boundary. */
export interface TensorSummary {
  readonly name: string;
  readonly dims: readonly number[];
  readonly bytes: number;
}

/** One `session.run`: what went in and what came out. */
export interface SessionRunEvent {
  readonly session: string;
  readonly inputs: readonly TensorSummary[];
  readonly outputs: readonly TensorSummary[];
  readonly milliseconds: number;
}

/** A JavaScript-side tensor to feed. */
export interface Feed {
  readonly type: RuntimeTensorType;
  readonly data: Float32Array | BigInt64Array;
  readonly dims: readonly number[];
}

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** One stage's session. */
export class StageSession {
  constructor(
    readonly name: string,
    private readonly session: InferenceSession,
    private readonly runtime: OrtRuntime,
    private readonly onRun?: (event: SessionRunEvent) => void,
  ) {}

  /** Runs the graph; returns the requested float outputs, copied out of the runtime. */
  async run(feeds: Readonly<Record<string, Feed>>, outputs: readonly string[]): Promise<Record<string, { data: Float32Array; dims: readonly number[] }>> {
    const start = now();
    let results: InferenceSession.OnnxValueMapType;
    try {
      // Tensor creation checks sizes against dims: its error is a runtime failure like the run's.
      const tensors: Record<string, Tensor> = {};
      for (const [name, feed] of Object.entries(feeds)) tensors[name] = new this.runtime.Tensor(feed.type, feed.data, feed.dims);
      results = await this.session.run(tensors, [...outputs]);
    } catch (error) {
      throw new FslsdError('RUNTIME_FAILURE', `The ${this.name} session failed: ${(error as Error).message ?? String(error)}`, {
        fix: 'Check the model files (fslsd models verify) and the device; report a bug if it persists.',
        cause: error,
      });
    }
    const out: Record<string, { data: Float32Array; dims: readonly number[] }> = {};
    for (const name of outputs) {
      const tensor = results[name] as Tensor | undefined;
      if (!tensor || tensor.type !== 'float32') throw new FslsdError('RUNTIME_FAILURE', `The ${this.name} session returned no float32 "${name}".`);
      out[name] = { data: tensor.data as Float32Array, dims: [...tensor.dims] };
    }
    this.onRun?.({
      session: this.name,
      inputs: Object.entries(feeds).map(([name, f]) => ({ name, dims: f.dims, bytes: f.data.byteLength })),
      outputs: Object.entries(out).map(([name, t]) => ({ name, dims: t.dims, bytes: t.data.byteLength })),
      milliseconds: now() - start,
    });
    return out;
  }

  /** Frees the session's native resources. */
  async release(): Promise<void> {
    await this.session.release();
  }
}

/** Creates sessions from graphs on one runtime with one set of session options. */
export class Executor {
  constructor(
    private readonly runtime: OrtRuntime,
    private readonly sessionOptions: InferenceSession.SessionOptions | undefined,
    private readonly onRun?: (event: SessionRunEvent) => void,
  ) {}

  async createSession(name: string, model: ModelProto): Promise<StageSession> {
    try {
      const session = await this.runtime.InferenceSession.create(encodeModel(model), this.sessionOptions);
      return new StageSession(name, session, this.runtime, this.onRun);
    } catch (error) {
      if (error instanceof FslsdError) throw error;
      throw new FslsdError('RUNTIME_FAILURE', `Could not create the ${name} session: ${(error as Error).message ?? String(error)}`, {
        fix: 'Check the execution provider and the model files (fslsd models verify).',
        cause: error,
      });
    }
  }
}

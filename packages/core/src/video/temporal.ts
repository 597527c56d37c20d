/**
 * Temporal constraints for video. The paper's two spatio-temporal constraints (on the latent
 * trajectory and in image space) were never released as code; fslsd smooths the three signals
 * that make per-frame swaps flicker:
 *   - the landmarks that place the alignment crop: a one-euro filter (Casiez et al., CHI 2012),
 *     which removes jitter at low speed and follows fast motion without lag;
 *   - the target's W+ codes: an exponential moving average;
 *   - the inner-face mask and paste alpha (in crop space): an exponential moving average.
 * `strength` 0 turns all three off; 1 is the strongest smoothing.
 */
import { FslsdError } from '../errors.js';

/** Checks a smoothing strength. @throws FslsdError `INVALID_ARGUMENT` outside [0, 1]. */
export function checkStrength(strength: number): number {
  if (!(strength >= 0 && strength <= 1)) {
    throw new FslsdError('INVALID_ARGUMENT', `The smoothing strength must lie in [0, 1], got ${strength}.`, { fix: 'Use 0 (off) to 1 (strongest); 0.6 is the video default.' });
  }
  return strength;
}

/** A one-euro filter over a vector, in units the caller normalises (e.g. face sizes). */
export class OneEuroFilter {
  private value: Float64Array | undefined;
  private derivative: Float64Array | undefined;

  /**
   * @param minCutoff cutoff frequency (Hz) when still: lower = smoother
   * @param beta how fast the cutoff rises with speed (per unit/s): higher = less lag
   * @param derivativeCutoff cutoff of the speed estimate (Hz)
   */
  constructor(
    private readonly minCutoff: number,
    private readonly beta: number,
    private readonly derivativeCutoff = 1,
  ) {}

  private static alpha(cutoff: number, rate: number): number {
    const tau = 1 / (2 * Math.PI * cutoff);
    return 1 / (1 + tau * rate);
  }

  /** Filters one sample taken `rate` times per second. */
  next(sample: ArrayLike<number>, rate: number): Float64Array {
    const n = sample.length;
    if (!this.value || this.value.length !== n) {
      this.value = Float64Array.from(sample);
      this.derivative = new Float64Array(n);
      return Float64Array.from(this.value);
    }
    const derivativeAlpha = OneEuroFilter.alpha(this.derivativeCutoff, rate);
    let speed = 0;
    for (let i = 0; i < n; i += 1) {
      const raw = (sample[i]! - this.value[i]!) * rate;
      this.derivative![i] = this.derivative![i]! + derivativeAlpha * (raw - this.derivative![i]!);
      speed = Math.max(speed, Math.abs(this.derivative![i]!));
    }
    // One cutoff for the whole vector (the face moves as one), driven by its fastest component.
    const alpha = OneEuroFilter.alpha(this.minCutoff + this.beta * speed, rate);
    for (let i = 0; i < n; i += 1) this.value[i] = this.value[i]! + alpha * (sample[i]! - this.value[i]!);
    return Float64Array.from(this.value);
  }

  reset(): void {
    this.value = undefined;
    this.derivative = undefined;
  }
}

/** An exponential moving average: out = keep * previous + (1 - keep) * sample. */
export class MovingAverage {
  private state: Float32Array | undefined;

  constructor(private readonly keep: number) {}

  /** The average after `sample`, as a new array (the state stays the filter's own). */
  next(sample: Float32Array): Float32Array {
    return this.update(sample.slice());
  }

  /**
   * The average after `sample`, written into `sample` itself: for a sample that is yours to
   * change (a freshly made mask), it saves {@link next}'s new array per frame, 4 MB at 1024².
   */
  update(sample: Float32Array): Float32Array {
    if (this.keep <= 0) return sample;
    const state = this.state;
    if (!state || state.length !== sample.length) {
      this.state = sample.slice();
      return sample;
    }
    // Locals, not fields, in the loop: V8 then keeps the arrays in registers (a 1024² mask took
    // 3-5 ms with field loads, several times the arithmetic).
    const keep = this.keep;
    const fresh = 1 - keep;
    const n = sample.length;
    for (let i = 0; i < n; i += 1) {
      const average = keep * state[i]! + fresh * sample[i]!;
      state[i] = average;
      sample[i] = average;
    }
    return sample;
  }

  reset(): void {
    this.state = undefined;
  }
}

/** The filters of one tracked face, set from one strength. */
export interface TemporalFilters {
  readonly landmarks: OneEuroFilter | undefined;
  readonly latent: MovingAverage;
  readonly mask: MovingAverage;
  readonly paste: MovingAverage;
  reset(): void;
}

/** The three filters for `strength` in [0, 1] (0: pass-through). */
export function temporalFilters(strength: number): TemporalFilters {
  const s = checkStrength(strength);
  // Landmarks are filtered in face sizes: the same strength suits small and large faces.
  const landmarks = s > 0 ? new OneEuroFilter(0.3 + 4.7 * (1 - s) ** 2, 1.5) : undefined;
  const latent = new MovingAverage(0.6 * s);
  const mask = new MovingAverage(0.5 * s);
  const paste = new MovingAverage(0.5 * s);
  return {
    landmarks, latent, mask, paste,
    reset() {
      landmarks?.reset();
      latent.reset();
      mask.reset();
      paste.reset();
    },
  };
}

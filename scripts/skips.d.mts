/** Why a test group cannot run here, and how to make it run. */
export interface SkipReason {
  /** The group's name as the summary prints it. */
  readonly group: string;
  /** What is missing, e.g. "ffmpeg not found". */
  readonly missing: string;
  /** How to get it, e.g. "apt-get install ffmpeg". */
  readonly fix: string;
  /** The variable that makes the group mandatory when it is 1 (CI=true always does). */
  readonly require?: string;
}
/** True when the group must be skipped; throws when it is required here. */
export function skipWithout(available: boolean, why: SkipReason): boolean;

import type { BrowserContext, BrowserType } from 'playwright-core';

/** The flags every fslsd browser run uses: no sandbox (root in CI), no network chatter. */
export declare const CHROMIUM_ARGS: string[];

/** Runs `run` in a persistent Chromium context at `profile`, then closes it and removes the profile. */
export declare function withChromiumProfile<T>(chromium: BrowserType, executable: string, profile: string, run: (context: BrowserContext) => Promise<T>): Promise<T>;

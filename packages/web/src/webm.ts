/**
 * A small WebM writer for WebCodecs output: one video track (VP8 or VP9), clusters of
 * SimpleBlocks, the duration, and a COMMENT tag (the synthetic-media label). Enough for players
 * and ffmpeg to read every frame back; no seeking index (Cues) and no audio.
 */

/** One encoded frame, as an EncodedVideoChunk hands it over. */
export interface WebmFrame {
  readonly data: Uint8Array;
  /** Presentation time in microseconds. */
  readonly timestamp: number;
  readonly key: boolean;
}

/** What the file describes. */
export interface WebmOptions {
  readonly width: number;
  readonly height: number;
  /** `V_VP8` or `V_VP9`. */
  readonly codec: 'V_VP8' | 'V_VP9';
  /** Duration in microseconds. */
  readonly duration: number;
  readonly comment: string;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** EBML variable-size integer for an element's data size. */
function size(value: number): Uint8Array {
  for (let length = 1; length <= 8; length += 1) {
    if (value < 2 ** (7 * length) - 1) {
      const out = new Uint8Array(length);
      let v = value;
      for (let i = length - 1; i >= 0; i -= 1) {
        out[i] = v % 256;
        v = Math.floor(v / 256);
      }
      out[0]! |= 1 << (8 - length);
      return out;
    }
  }
  throw new Error(`EBML size ${value} is too large`);
}

function id(value: number): Uint8Array {
  const bytes: number[] = [];
  for (let v = value; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Uint8Array.from(bytes);
}

function element(elementId: number, data: Uint8Array): Uint8Array {
  return concat([id(elementId), size(data.length), data]);
}

function uint(elementId: number, value: number): Uint8Array {
  const bytes: number[] = [];
  for (let v = value; v > 0 || bytes.length === 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return element(elementId, Uint8Array.from(bytes));
}

function float(elementId: number, value: number): Uint8Array {
  const data = new Uint8Array(8);
  new DataView(data.buffer).setFloat64(0, value);
  return element(elementId, data);
}

function text(elementId: number, value: string): Uint8Array {
  return element(elementId, new TextEncoder().encode(value));
}

/** The WebM file for `frames` (in presentation order). */
export function writeWebm(frames: readonly WebmFrame[], options: WebmOptions): Uint8Array {
  const header = element(0x1a45dfa3, concat([
    uint(0x4286, 1), uint(0x42f7, 1), uint(0x42f2, 4), uint(0x42f3, 8), text(0x4282, 'webm'), uint(0x4287, 2), uint(0x4285, 2),
  ]));
  // Timestamps in milliseconds (TimecodeScale 1,000,000 ns).
  const info = element(0x1549a966, concat([uint(0x2ad7b1, 1_000_000), text(0x4d80, 'fslsd'), text(0x5741, 'fslsd'), float(0x4489, options.duration / 1000)]));
  const video = element(0xe0, concat([uint(0xb0, options.width), uint(0xba, options.height)]));
  const tracks = element(0x1654ae6b, element(0xae, concat([uint(0xd7, 1), uint(0x73c5, 1), uint(0x83, 1), text(0x86, options.codec), video])));
  const tags = element(0x1254c367, element(0x7373, concat([element(0x63c0, new Uint8Array(0)), element(0x67c8, concat([text(0x45a3, 'COMMENT'), text(0x4487, options.comment)]))])));
  const clusters: Uint8Array[] = [];
  let blocks: Uint8Array[] = [];
  let clusterStart = 0;
  const flush = () => {
    if (blocks.length) clusters.push(element(0x1f43b675, concat([uint(0xe7, clusterStart), ...blocks])));
    blocks = [];
  };
  for (const frame of frames) {
    const time = Math.round(frame.timestamp / 1000);
    // A new cluster at every key frame, and before the 16-bit relative time overflows.
    if (frame.key || time - clusterStart > 30_000 || blocks.length === 0) {
      flush();
      clusterStart = time;
    }
    const block = new Uint8Array(4 + frame.data.length);
    block[0] = 0x81; // track 1
    new DataView(block.buffer).setInt16(1, time - clusterStart);
    block[3] = frame.key ? 0x80 : 0;
    block.set(frame.data, 4);
    blocks.push(element(0xa3, block));
  }
  flush();
  return concat([header, element(0x18538067, concat([info, tracks, tags, ...clusters]))]);
}

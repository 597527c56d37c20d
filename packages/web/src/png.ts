/**
 * PNG metadata without an encoder dependency: the browser encodes the pixels (canvas), and we
 * insert an iTXt chunk holding the synthetic-media XMP packet right after IHDR.
 */

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n += 1) {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Returns a copy of `png` with an iTXt `XML:com.adobe.xmp` chunk after IHDR. */
export function withXmpChunk(png: Uint8Array, xmp: string): Uint8Array {
  const signature = [137, 80, 78, 71, 13, 10, 26, 10];
  if (png.length < 33 || signature.some((b, i) => png[i] !== b)) throw new Error('not a PNG');
  const encoder = new TextEncoder();
  // keyword \0 compression-flag(0) compression-method(0) language \0 translated-keyword \0 text
  const data = new Uint8Array([...encoder.encode('XML:com.adobe.xmp'), 0, 0, 0, 0, 0, ...encoder.encode(xmp)]);
  const chunk = new Uint8Array(12 + data.length);
  const view = new DataView(chunk.buffer);
  view.setUint32(0, data.length);
  chunk.set(encoder.encode('iTXt'), 4);
  chunk.set(data, 8);
  view.setUint32(8 + data.length, crc32(chunk.subarray(4, 8 + data.length)));
  const afterHeader = 8 + 25; // signature + IHDR (4 length + 4 type + 13 data + 4 crc)
  const out = new Uint8Array(png.length + chunk.length);
  out.set(png.subarray(0, afterHeader), 0);
  out.set(chunk, afterHeader);
  out.set(png.subarray(afterHeader), afterHeader + chunk.length);
  return out;
}

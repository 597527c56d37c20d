/**
 * JPEG metadata without an encoder dependency: the browser encodes the pixels (canvas), and we
 * insert the synthetic-media XMP packet as an APP1 segment (the XMP specification, part 3),
 * after the JFIF APP0 segment when there is one, since JFIF readers expect APP0 first.
 */

const XMP_NAMESPACE = 'http://ns.adobe.com/xap/1.0/\0';

/** Returns a copy of `jpeg` with an APP1 XMP segment after SOI (and APP0). */
export function withXmpSegment(jpeg: Uint8Array, xmp: string): Uint8Array {
  if (jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw new Error('not a JPEG');
  const encoder = new TextEncoder();
  const payload = new Uint8Array([...encoder.encode(XMP_NAMESPACE), ...encoder.encode(xmp)]);
  // A segment's length field counts itself (2 bytes) and must fit in 16 bits.
  if (payload.length + 2 > 0xffff) throw new Error('XMP packet too large for one APP1 segment');
  const segment = new Uint8Array(4 + payload.length);
  segment.set([0xff, 0xe1, (payload.length + 2) >> 8, (payload.length + 2) & 0xff]);
  segment.set(payload, 4);
  let at = 2;
  if (jpeg[2] === 0xff && jpeg[3] === 0xe0) at = 4 + ((jpeg[4]! << 8) | jpeg[5]!);
  const out = new Uint8Array(jpeg.length + segment.length);
  out.set(jpeg.subarray(0, at), 0);
  out.set(segment, at);
  out.set(jpeg.subarray(at), at + segment.length);
  return out;
}

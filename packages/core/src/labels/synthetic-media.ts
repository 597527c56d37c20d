/**
 * The synthetic-media label every fslsd output carries: IPTC DigitalSourceType
 * `trainedAlgorithmicMedia` plus a description naming fslsd, as an XMP packet. Backends embed it
 * with their image encoders (sharp in Node, a PNG iTXt chunk in browsers).
 */

/** IPTC's code for media made by a trained algorithm. */
export const DIGITAL_SOURCE_TYPE = 'http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia';

/** The text every output carries. */
export const SYNTHETIC_LABEL = 'Synthetic face swap made with fslsd (FSLSD or MegaFS method); not an authentic photograph.';

const escapeXml = (text: string): string => text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);

/** XMP packet labelling a file as AI-generated, with `tool` as its creator tool. */
export function syntheticMediaXmp(tool = 'fslsd'): string {
  return [
    '<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>',
    '<x:xmpmeta xmlns:x="adobe:ns:meta/">',
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
    `<rdf:Description rdf:about="" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/" Iptc4xmpExt:DigitalSourceType="${DIGITAL_SOURCE_TYPE}" xmp:CreatorTool="${escapeXml(tool)}">`,
    `<dc:description><rdf:Alt><rdf:li xml:lang="x-default">${escapeXml(SYNTHETIC_LABEL)}</rdf:li></rdf:Alt></dc:description>`,
    '</rdf:Description></rdf:RDF></x:xmpmeta>',
    '<?xpacket end="w"?>',
  ].join('');
}

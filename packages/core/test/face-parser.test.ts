import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ContractError } from '../src/index.js';
import { PARSER_CLASSES, checkParserContract, parserRegionGraph } from '../src/face.js';
import { encodeModel } from '../src/graph.js';
import { floatTensor, makeModel, node, valueInfo, type ModelProto } from '../src/graph/onnx.js';
import { createFaceAnalyzer } from '../src/face/front-end.js';
import { MODELS_DIR, ort, readRgbPng, runtime } from './helpers.js';

/**
 * A stand-in parser with the BiSeNet contract: a 1x1 convolution whose "skin" logit is 10x the
 * normalised red channel and whose other logits are fixed, so a pixel is skin exactly when its
 * red value exceeds ImageNet's red mean (0.485 * 255 = 123.675).
 */
function redParser(classes: number = PARSER_CLASSES.length, side = 512): ModelProto {
  const weight = new Float32Array(classes * 3);
  const bias = new Float32Array(classes).fill(-100);
  weight[1 * 3 + 0] = 10; // skin <- red
  bias[0] = 0; // background
  bias[1] = 0;
  return makeModel({
    name: 'red-parser',
    node: [node('Conv', ['image', 'w', 'b'], ['logits'], { kernel_shape: [1, 1] })],
    initializer: [floatTensor('w', [classes, 3, 1, 1], weight), floatTensor('b', [classes], bias)],
    input: [valueInfo('image', 'float32', [1, 3, side, side])],
    output: [valueInfo('logits', 'float32', [1, classes, side, side])],
  }, 'test parser');
}

describe('face parser contract', () => {
  it('accepts the BiSeNet shapes and refuses others, naming the tensor', () => {
    expect(checkParserContract(redParser())).toEqual({ input: 'image', output: 'logits' });
    expect(() => checkParserContract(redParser(18))).toThrow(ContractError);
    expect(() => checkParserContract(redParser(18))).toThrow(/tensor "logits" must be float32\[1,19,512,512\].*float32\[1,18,512,512\]/);
    expect(() => checkParserContract(redParser(19, 256))).toThrow(/tensor "image" must be float32\[1,3,512,512\]/);
  });

  it('normalises, keeps the inner-face classes and resizes to the crop inside the graph', async () => {
    const session = await ort.InferenceSession.create(encodeModel(parserRegionGraph(redParser())));
    // A red disc of radius 100 at the centre of a dark 512^2 picture; one pixel column just
    // above and one just below the red threshold.
    const pixels = new Float32Array(3 * 512 * 512).fill(40);
    for (let y = 0; y < 512; y += 1) {
      for (let x = 0; x < 512; x += 1) {
        if ((x - 255.5) ** 2 + (y - 255.5) ** 2 < 100 ** 2) pixels[y * 512 + x] = 250;
      }
    }
    for (let y = 0; y < 512; y += 1) {
      pixels[y * 512 + 10] = 124; // just above 123.675: skin
      pixels[y * 512 + 20] = 123; // just below: background
    }
    const result = await session.run({ pixels: new ort.Tensor('float32', pixels, [1, 3, 512, 512]) });
    const region = result.region!;
    expect(region.dims).toEqual([1, 1, 1024, 1024]);
    const data = region.data as Float32Array;
    expect(data[512 * 1024 + 512]).toBe(1);
    expect(data[5 * 1024 + 1000]).toBe(0);
    // A one-pixel skin column at 512 becomes two columns of 0.75 at 1024 (bilinear, half-pixel).
    expect([data[500 * 1024 + 19], data[500 * 1024 + 20], data[500 * 1024 + 21], data[500 * 1024 + 22]]).toEqual([0.25, 0.75, 0.75, 0.25]);
    expect(data[500 * 1024 + 41]).toBe(0); // column 20 at 512 -> 40, 41
    let area = 0;
    for (let i = 0; i < data.length; i += 1) if (data[i]! >= 0.5 && i % 1024 > 100) area += 1;
    expect(Math.abs(area / (Math.PI * 200 ** 2) - 1)).toBeLessThan(0.02);
  });

  it('gives the analyzer its masks when plugged in', async () => {
    const face = (name: string) => new Uint8Array(readFileSync(`${MODELS_DIR}faces/${name}`));
    const analyzer = await createFaceAnalyzer({
      runtime,
      models: { detector: face('face-detector.onnx'), landmarks68: face('face-landmarks-68.onnx'), parser: encodeModel(redParser()) },
    });
    try {
      expect(analyzer.maskSource).toBe('parser');
      const photo = await readRgbPng(`${MODELS_DIR}assets/photos/astronaut.png`);
      const [found] = await analyzer.detect(photo);
      const prepared = await analyzer.prepare(photo, found!);
      expect(prepared.maskSource).toBe('parser');
      // The parser's region is "red above ImageNet's mean", dilated: recompute it from the crop
      // at one pixel well inside the face and one in the dark suit below it.
      const { crop, masks } = prepared;
      let kept = 0;
      for (let i = 0; i < masks.inner.length; i += 1) kept += masks.inner[i]!;
      expect(kept).toBeGreaterThan(1024 * 1024 * 0.2);
      const red = (x: number, y: number) => crop.data[(y * 1024 + x) * 3]!;
      expect(red(512, 560)).toBeGreaterThan(124);
      expect(masks.inner[560 * 1024 + 512]).toBe(1);
      let outside = 0;
      for (let i = 0; i < masks.paste.length; i += 1) if (masks.inner[i] === 0 && masks.paste[i] !== 0) outside += 1;
      expect(outside).toBe(0);
    } finally {
      await analyzer.dispose();
    }
  });
});

/**
 * `node dist/convert.js`: regenerates packages/models/faces from the installed face-api.
 * Kept separate from the conversion itself so tests can call convertFaceModels directly.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FslsdError } from '@fslsd/core';
import { FACE_API_PACKAGE, FACE_API_VERSION, convertFaceModels } from './convert-faces.js';

const HELP = `Usage: node dist/convert.js [--out DIR] [--source DIR] [--quiet]

Converts four TensorFlow.js networks of ${FACE_API_PACKAGE}@${FACE_API_VERSION} (MIT) to ONNX:
  face-detector.onnx      TinyFaceDetector      image [1,3,H,W] RGB 0..255 -> grid [1,25,H/32,W/32]
  face-landmarks-68.onnx  FaceLandmark68Net     image [1,3,112,112]        -> landmarks [1,136]
  face-descriptor.onnx    FaceRecognitionNet    image [1,3,150,150]        -> descriptor [1,128]
  face-detector-ssd.onnx  SsdMobilenetv1        image [1,3,512,512]        -> boxes [1,5118,4], scores [1,5118]
and writes manifest.json (bytes, sha256, provenance) and LICENSE-face-api.txt beside them.
The output is deterministic: a re-run gives byte-identical files.

Options:
  --out DIR      output folder (default: the package's faces/ folder)
  --source DIR   folder of the ${FACE_API_PACKAGE} package (default: the installed dev dependency)
  --quiet        print nothing but errors
  --help         show this text`;

function packageDirectory(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
}

export async function main(argv: readonly string[]): Promise<number> {
  let out = path.join(packageDirectory(), 'faces');
  let source: string | undefined;
  let quiet = false;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    const value = (): string => {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new FslsdError('INVALID_ARGUMENT', `${arg} needs a folder.`, { fix: `Write ${arg} DIR.` });
      i += 1;
      return next;
    };
    if (arg === '--help' || arg === '-h') {
      console.log(HELP);
      return 0;
    } else if (arg === '--out') out = path.resolve(value());
    else if (arg === '--source') source = path.resolve(value());
    else if (arg === '--quiet') quiet = true;
    else throw new FslsdError('INVALID_ARGUMENT', `Unknown option ${arg}.`, { fix: 'See --help.' });
  }
  await convertFaceModels({
    out,
    ...(source === undefined ? {} : { source }),
    onFile: (file, bytes) => {
      if (!quiet) console.log(`${path.join(out, file)}  ${bytes} bytes`);
    },
  });
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof FslsdError ? `fslsd convert: ${error.message}` : error);
    process.exitCode = 1;
  },
);

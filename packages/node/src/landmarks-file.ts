/**
 * Landmark files. Two forms are read:
 *   {"points": [[x, y], ...106]}               the 106-point layout, 256^2 crop pixels
 *   {"points5": [[x, y], ...5]}                 left eye, right eye, nose tip, mouth corners
 * An image `face.png` may have its landmarks beside it in `face.landmarks.json`.
 */
import { readFile, stat } from 'node:fs/promises';
import { FslsdError, type Landmarks, type Point, fivePointLandmarks, validateLandmarks } from '@fslsd/core';

export async function readLandmarks(file: string): Promise<Landmarks> {
  let json: { points?: Point[]; points5?: Point[]; space?: string };
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new FslsdError('INVALID_LANDMARKS', `Cannot read landmarks from ${file}: ${(error as Error).message}.`, {
      fix: 'Write {"points": [[x, y], ...]} (106 points) or {"points5": [...]} in 256x256 crop pixels.',
      cause: error,
    });
  }
  if (json.space !== undefined && json.space !== 'crop256') {
    throw new FslsdError('INVALID_LANDMARKS', `${file} gives points in space "${json.space}"; fslsd reads "crop256".`, { fix: 'Convert the points to pixels of the 256x256 aligned crop.' });
  }
  if (Array.isArray(json.points)) {
    validateLandmarks(json.points, file);
    return json.points;
  }
  if (Array.isArray(json.points5)) return fivePointLandmarks(json.points5);
  throw new FslsdError('INVALID_LANDMARKS', `${file} has neither "points" nor "points5".`, { fix: 'Write {"points": [[x, y], ...]} (106 points) or {"points5": [...]}.' });
}

/** `face.png` -> `face.landmarks.json` when that file exists. */
export async function sidecarLandmarks(image: string): Promise<string | undefined> {
  const candidate = image.replace(/\.[^./\\]+$/, '') + '.landmarks.json';
  return (await stat(candidate).then((s) => s.isFile(), () => false)) ? candidate : undefined;
}

#!/usr/bin/env node
/**
 * The README's benchmark picture, drawn from benchmarks/swap.json (written by `pnpm bench`):
 * per-stage time of one full-size swap, fslsd beside PyTorch + OpenBLAS on the same machine,
 * with the issue's targets and the measured values beside them. Writes docs/images/bench-swap.png.
 *
 *   node scripts/bench-figure.mjs [--in benchmarks/swap.json] [--out docs/images/bench-swap.png]
 */
import { readFileSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { in: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  console.log('Usage: node scripts/bench-figure.mjs [--in benchmarks/swap.json] [--out docs/images/bench-swap.png]\n\nDraws the swap benchmark (per-stage time, fslsd vs PyTorch, targets) as a PNG.');
  process.exit(0);
}
const input = values.in ?? path.join(root, 'benchmarks', 'swap.json');
const out = values.out ?? path.join(root, 'docs', 'images', 'bench-swap.png');
const sharp = createRequire(path.join(root, 'packages/node/package.json'))('sharp');
const report = JSON.parse(readFileSync(input, 'utf8'));

const stages = [
  ['pSp encoder (x2)', 2 * report.sdk.stagesMs['encode-latent'], report.torch.stagesMs['encode-latent']],
  ['landmark encoder E_le', report.sdk.stagesMs['landmark-direction'], report.torch.stagesMs['landmark-direction']],
  ['G + E_t + blend + decoder', report.sdk.stagesMs.synthesize, report.torch.stagesMs.synthesize],
  ['full swap', report.sdk.fullSwapMs, report.torch.swapMs],
];
const width = 980;
const rowHeight = 58;
const left = 230;
const barArea = width - left - 170;
const top = 92;
const maxMs = Math.max(...stages.flatMap(([, a, b]) => [a, b]));
const scale = barArea / maxMs;
const esc = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;');
const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;
let svg = '';
stages.forEach(([name, ours, torch], i) => {
  const y = top + i * rowHeight;
  svg += `<text x="${left - 12}" y="${y + 24}" text-anchor="end" font-size="15" font-weight="${name === 'full swap' ? 700 : 400}">${esc(name)}</text>`;
  svg += `<rect x="${left}" y="${y + 4}" width="${Math.max(2, ours * scale)}" height="20" fill="#2b7bb9"/>`;
  svg += `<text x="${left + ours * scale + 6}" y="${y + 19}" font-size="13">${seconds(ours)}</text>`;
  svg += `<rect x="${left}" y="${y + 27}" width="${Math.max(2, torch * scale)}" height="20" fill="#c8762b"/>`;
  svg += `<text x="${left + torch * scale + 6}" y="${y + 42}" font-size="13">${seconds(torch)} (${(torch / ours).toFixed(2)}x)</text>`;
});
const t = report.targets;
const targetLines = [
  `SDK / raw session runs ${t.sdkOverhead.value.toFixed(3)} (goal <= 1.05)`,
  `vs PyTorch + OpenBLAS ${t.speedupOverTorch.value.toFixed(2)}x faster (goal >= 1.5x)`,
  `GEMM peak share ${(100 * t.gemmPeakShare.value).toFixed(0)} % of ${report.gemmPeakGflops.toFixed(0)} GFLOP/s (goal >= 60 %)`,
  `per target, source reused ${t.perTargetShare.value.toFixed(2)} of a swap (goal <= 0.6; FLOP bound ${t.perTargetShare.flopsBound.toFixed(2)})`,
  `peak RSS ${(report.rss.default.peak / 2 ** 30).toFixed(2)} GiB; models ${(report.modelBytes / 2 ** 30).toFixed(2)} GiB (goal <= ${((1.3 * report.modelBytes + 200 * 2 ** 20) / 2 ** 30).toFixed(2)} GiB)`,
];
const legendY = top + stages.length * rowHeight + 10;
const height = legendY + 40 + targetLines.length * 20 + 20;
const image = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans, sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="24" y="34" font-size="20" font-weight="700">One FSLSD swap at full size (1024²), CPU, ${report.settings.threads} threads</text>
<text x="24" y="60" font-size="13" fill="#444">${esc(`${report.machine.model}; random weights, same inputs; medians of ${report.settings.runs} runs in one run of pnpm bench (${report.date.slice(0, 10)})`)}</text>
<rect x="${left}" y="70" width="14" height="10" fill="#2b7bb9"/><text x="${left + 20}" y="80" font-size="13">fslsd (@fslsd/node, onnxruntime-node)</text>
<rect x="${left + 300}" y="70" width="14" height="10" fill="#c8762b"/><text x="${left + 320}" y="80" font-size="13">PyTorch reference + OpenBLAS (${esc(report.torch.version)})</text>
${svg}
<text x="24" y="${legendY + 24}" font-size="15" font-weight="700">Targets (issue 7), measured in the same run</text>
${targetLines.map((line, i) => `<text x="24" y="${legendY + 48 + i * 20}" font-size="13">${esc(line)}</text>`).join('\n')}
</svg>`;
const partial = `${out}.partial.png`;
await sharp(Buffer.from(image)).png().toFile(partial);
renameSync(partial, out);
console.log(out);

#!/usr/bin/env node
// The public surface of every package, one API Extractor report per entry point in api/:
// a change to what users can import shows in review as a diff of api/*.api.md.
//   node scripts/api-report.mjs          rewrite the reports (after an intended change)
//   node scripts/api-report.mjs --check  fail when a report differs from the built packages
// API Extractor (Microsoft, maintained) reads one entry point per run, so this loops over the
// export map of each package; the packages must be built (pnpm build).
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');
const reports = path.join(root, 'api');
mkdirSync(reports, { recursive: true });

const entries = [];
for (const name of readdirSync(path.join(root, 'packages'))) {
  const folder = path.join(root, 'packages', name);
  const manifest = JSON.parse(readFileSync(path.join(folder, 'package.json'), 'utf8'));
  for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
    const types = target?.import?.types ?? target?.types;
    if (!types) continue; // package.json, data folders
    entries.push({ package: manifest.name, folder, subpath, types: path.join(folder, types) });
  }
}

const changed = [];
let totalExports = 0;
for (const entry of entries) {
  if (!existsSync(entry.types)) {
    console.error(`api-report: ${path.relative(root, entry.types)} is missing. Run pnpm build first.`);
    process.exit(1);
  }
  const file = `${entry.package.replace('@', '').replace('/', '-')}${entry.subpath === '.' ? '' : `-${entry.subpath.slice(2)}`}.api.md`;
  const config = ExtractorConfig.prepare({
    configObject: {
      projectFolder: entry.folder,
      mainEntryPointFilePath: entry.types,
      // One compiler setting for every package: DOM for the browser types (AbortSignal, Worker)
      // and Node's for the Node package; the reports then name types the same way everywhere.
      compiler: {
        overrideTsconfig: {
          compilerOptions: { target: 'ES2022', lib: ['ES2022', 'DOM', 'DOM.Iterable'], types: ['node'], module: 'ESNext', moduleResolution: 'bundler', strict: true, skipLibCheck: true, esModuleInterop: true },
          files: [entry.types],
        },
      },
      apiReport: { enabled: true, reportFolder: reports, reportTempFolder: path.join(root, '.api-temp'), reportFileName: file.replace(/\.api\.md$/, '') },
      docModel: { enabled: false },
      dtsRollup: { enabled: false },
      tsdocMetadata: { enabled: false },
      messages: {
        compilerMessageReporting: { default: { logLevel: 'warning' } },
        // The report records the surface; release tags and TSDoc syntax are not what it checks.
        extractorMessageReporting: { default: { logLevel: 'none' }, 'ae-missing-release-tag': { logLevel: 'none' } },
        tsdocMessageReporting: { default: { logLevel: 'none' } },
      },
    },
    configObjectFullPath: path.join(entry.folder, 'api-extractor.json'),
    packageJsonFullPath: path.join(entry.folder, 'package.json'),
  });
  const result = Extractor.invoke(config, { localBuild: !check, showVerboseMessages: false, messageCallback: (message) => { if (message.logLevel !== 'warning' && message.logLevel !== 'error') message.handled = true; } });
  const report = readFileSync(path.join(check ? path.join(root, '.api-temp') : reports, file), 'utf8');
  const count = (report.match(/^export (?:declare )?(?:function|class|const|interface|type|enum|namespace|abstract class|let) /gm) ?? []).length + (report.match(/^export \{/gm) ?? []).length;
  totalExports += count;
  console.log(`api-report: ${entry.package}${entry.subpath === '.' ? '' : entry.subpath.slice(1)}: ${count} exports${result.apiReportChanged ? (check ? ' CHANGED' : ' (updated)') : ''}`);
  if (result.apiReportChanged) changed.push(file);
  if (!result.succeeded && !result.apiReportChanged) {
    console.error(`api-report: API Extractor failed on ${entry.package}${entry.subpath.slice(1)} (${result.errorCount} errors).`);
    process.exit(1);
  }
}
console.log(`api-report: ${totalExports} exports over ${entries.length} entry points`);
if (check && changed.length) {
  console.error(`api-report: the public API differs from api/ in ${changed.join(', ')}. If the change is intended, run node scripts/api-report.mjs and commit api/ (the diff is the review).`);
  process.exit(1);
}

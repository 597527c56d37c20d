// Placeholder: the real CLI replaces this file.
const [command] = process.argv.slice(2);
if (!command || command === '--help' || command === '-h') {
  console.log('usage: fslsd swap --source <image> --target <image> --out <image> [--aligned]');
  process.exit(0);
}
console.error(`fslsd: '${command}' is not implemented yet`);
process.exit(1);

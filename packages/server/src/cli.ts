/** The `fslsd-server` command (the same commands are `fslsd serve|worker|api-key` in @fslsd/node). */
import { runServiceCommand } from './command.js';

runServiceCommand(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});

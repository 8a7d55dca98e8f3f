// SIGINT/SIGTERM handling for long runs: the first signal asks the run to checkpoint and stop;
// a second one exits at once.
// `onSignal` (a sweep) hears the first signal too, e.g. to pass it on to its worker processes.
export function interruptFlag(onSignal?: (sig: NodeJS.Signals) => void): { get: () => boolean; release: () => void } {
  let flag = false;
  const handler = (sig: NodeJS.Signals) => {
    if (flag) process.exit(sig === 'SIGINT' ? 130 : 143);
    flag = true;
    process.stderr.write(`\n${sig}: saving a checkpoint and stopping (send again to quit at once)\n`);
    onSignal?.(sig);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    get: () => flag,
    release: () => { process.off('SIGINT', handler); process.off('SIGTERM', handler); },
  };
}

// SIGINT/SIGTERM handling for long runs: the first signal asks the run to checkpoint and stop;
// a second one exits at once.
// `onSignal` (a sweep) hears the first signal too, e.g. to pass it on to its worker processes.
// `doing` says what the first signal does (null: nothing is said, e.g. where the processes it is
// passed on to say it themselves).
export function interruptFlag(onSignal?: (sig: NodeJS.Signals) => void, doing: string | null = 'saving a checkpoint and stopping'): { get: () => boolean; release: () => void } {
  let flag = false;
  const handler = (sig: NodeJS.Signals) => {
    if (flag) process.exit(sig === 'SIGINT' ? 130 : 143);
    flag = true;
    if (doing !== null) process.stderr.write(`\n${sig}: ${doing} (send again to quit at once)\n`);
    onSignal?.(sig);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    get: () => flag,
    release: () => { process.off('SIGINT', handler); process.off('SIGTERM', handler); },
  };
}
